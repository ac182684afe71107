using System.Text;
using Npgsql;
using Panoramax.Domain.Visibility;

namespace Panoramax.Persistence.Queries;

/// <summary>Which items to read. Every condition is optional; visibility is always applied.</summary>
public sealed record ItemFilter
{
    public Guid? SequenceId { get; init; }
    public IReadOnlyList<Guid>? Ids { get; init; }
    public IReadOnlyList<Guid>? SequenceIds { get; init; }
    public (double MinX, double MinY, double MaxX, double MaxY)? Bbox { get; init; }
    /// <summary>GeoJSON geometry the pictures must intersect.</summary>
    public string? IntersectsGeoJson { get; init; }
    public DateTimeOffset? CapturedFrom { get; init; }
    public DateTimeOffset? CapturedTo { get; init; }
    /// <summary>"Pictures looking at this point": distance range in metres and heading tolerance in degrees.</summary>
    public PlaceFilter? Place { get; init; }
    public int? AfterRank { get; init; }
    /// <summary>Extra SQL predicate on aliases p (pictures) and s (sequences), its values already bound as parameters.</summary>
    public string? ExtraPredicate { get; init; }
    public IReadOnlyList<NpgsqlParameter> ExtraParameters { get; init; } = [];
    /// <summary>Owners/admins also see pictures not published yet (single item and items of a sequence).</summary>
    public bool IncludeUnpublishedForOwner { get; init; }
    /// <summary>Read the previous/next visible pictures (two index look-ups per item); search answers skip them.</summary>
    public bool WithNeighbours { get; init; } = true;
}

public sealed record PlaceFilter(double Lon, double Lat, double MinDistanceM, double MaxDistanceM, double FovTolerance);

public enum ItemOrder
{
    Rank,
    /// <summary>Distance to a point (bbox centre, place), via the GiST index (kNN).</summary>
    Distance,
    CapturedAsc,
    CapturedDesc,
    UpdatedAsc,
    UpdatedDesc,
    IdAsc,
    IdDesc,
}

/// <summary>Reads STAC items (pictures with their sequence, owner name and neighbours) in one round trip.</summary>
public static class ItemQuery
{
    private const string Columns = """
        p.id, p.sequence_id, p.rank, ST_X(p.location), ST_Y(p.location), p.captured_at, p.capture_utc_offset_minutes,
        p.heading, p.pitch, p.roll, p.kind, p.camera_make, p.camera_model, p.focal_length_mm, p.field_of_view_deg,
        p.width, p.height, p.gps_accuracy_m, p.horizontal_pixel_density, p.original_file_name, p.original_file_size,
        p.status, p.visibility, coalesce(p.license, s.license), p.exif::text, p.semantics::text, s.semantics::text,
        p.tile_cols, p.tile_rows, p.created_at, p.updated_at, p.account_id, a.name,
        """;

    private const string NeighbourColumns = """
        prev.id, ST_X(prev.location), ST_Y(prev.location), prev.captured_at,
        nxt.id, ST_X(nxt.location), ST_Y(nxt.location), nxt.captured_at
        """;

    // Same column list without the two look-ups (and without two more joins for the planner to consider).
    private const string NoNeighbourColumns = """
        NULL::uuid, NULL::float8, NULL::float8, NULL::timestamptz, NULL::uuid, NULL::float8, NULL::float8, NULL::timestamptz
        """;

    // Read after either neighbour list: origin file hrefs of replicated pictures and the record version.
    private const string TrailingColumns = ", p.remote_assets::text, p.version";

    public static async Task<List<ItemRow>> ReadAsync(
        NpgsqlDataSource db, Viewer viewer, ItemFilter filter, ItemOrder order, int? limit,
        (double X, double Y)? orderPoint, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = Compose(cmd.Parameters, viewer, filter, order, limit, orderPoint);
        // The two hot shapes (search by place, a sequence's items by rank) are prepared once per pooled connection:
        // planning them cost PostgreSQL as much as running them. Their only sensible plans are index walks that stop at
        // the limit, so a generic plan is safe. Date ranges, polygons and CQL2 filters (free-form text) can make another
        // index the better start depending on their values: those keep a plan made for each call.
        if (order is ItemOrder.Distance or ItemOrder.Rank
            && filter is { ExtraPredicate: null, CapturedFrom: null, CapturedTo: null, IntersectsGeoJson: null })
        {
            await cmd.PrepareAsync(ct);
        }
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await ReadRowsAsync(r, limit, ct);
    }

    /// <summary>The item SQL for this filter and order, its values added to <paramref name="p"/>.</summary>
    private static string Compose(
        NpgsqlParameterCollection p, Viewer viewer, ItemFilter filter, ItemOrder order, int? limit, (double X, double Y)? orderPoint)
    {
        var pictureVisible = VisibilitySql.Predicate("p", viewer, p, publishedOnly: !filter.IncludeUnpublishedForOwner);
        var sequenceVisible = VisibilitySql.Predicate("s", viewer, p, publishedOnly: !filter.IncludeUnpublishedForOwner);
        // Neighbours: only what the same viewer could open.
        var neighbourVisible = VisibilitySql.Predicate("n", viewer, p, publishedOnly: !filter.IncludeUnpublishedForOwner);

        var where = new List<string> { pictureVisible, sequenceVisible };
        if (filter.SequenceId is { } seq)
        {
            where.Add("p.sequence_id = @seq");
            p.AddWithValue("seq", seq);
        }
        if (filter.Ids is { Count: > 0 } ids)
        {
            where.Add("p.id = ANY(@ids)");
            p.AddWithValue("ids", ids.ToArray());
        }
        if (filter.SequenceIds is { Count: > 0 } seqs)
        {
            where.Add("p.sequence_id = ANY(@seqs)");
            p.AddWithValue("seqs", seqs.ToArray());
        }
        if (filter.Bbox is { } b)
        {
            where.Add(SqlConditions.BboxIntersects("p.location", b, p));
        }
        if (filter.IntersectsGeoJson is { } geojson)
        {
            where.Add("ST_Intersects(p.location, ST_SetSRID(ST_GeomFromGeoJSON(@intersects), 4326))");
            p.AddWithValue("intersects", geojson);
        }
        if (filter.CapturedFrom is { } from)
        {
            where.Add("p.captured_at >= @cfrom");
            p.AddWithValue("cfrom", from);
        }
        if (filter.CapturedTo is { } to)
        {
            where.Add("p.captured_at <= @cto");
            p.AddWithValue("cto", to);
        }
        if (filter.Place is { } place)
        {
            // Cheap index pre-filter on a degree box, then the exact geodesic distance and the facing test
            // (360° pictures see everything).
            var (degLon, degLat) = SqlConditions.DegreesAround(place.Lat, place.MaxDistanceM);
            where.Add("""
                p.location && ST_MakeEnvelope(@plon - @pdlon, @plat - @pdlat, @plon + @pdlon, @plat + @pdlat, 4326)
                AND ST_Distance(p.location::geography, ST_SetSRID(ST_MakePoint(@plon, @plat), 4326)::geography) BETWEEN @pmin AND @pmax
                AND (p.kind = 'equirectangular' OR (p.heading IS NOT NULL AND
                     abs(mod((degrees(ST_Azimuth(p.location, ST_SetSRID(ST_MakePoint(@plon, @plat), 4326))) - p.heading + 540)::numeric, 360) - 180) <= @pfov))
                """);
            p.AddWithValue("plon", place.Lon);
            p.AddWithValue("plat", place.Lat);
            p.AddWithValue("pdlon", degLon);
            p.AddWithValue("pdlat", degLat);
            p.AddWithValue("pmin", place.MinDistanceM);
            p.AddWithValue("pmax", place.MaxDistanceM);
            p.AddWithValue("pfov", place.FovTolerance);
        }
        if (filter.AfterRank is { } after)
        {
            where.Add("p.rank > @after");
            p.AddWithValue("after", after);
        }
        if (filter.ExtraPredicate is { } extra)
        {
            where.Add(extra);
            foreach (var x in filter.ExtraParameters)
            {
                p.Add(x);
            }
        }

        var orderBy = order switch
        {
            ItemOrder.Rank => "p.rank",
            // The bare distance (no tie-breaker) lets the GiST index walk the pictures nearest first and stop at the
            // limit: a country-wide bbox costs as little as a street-sized one instead of sorting every match.
            ItemOrder.Distance when orderPoint is not null => "p.location <-> ST_SetSRID(ST_MakePoint(@ox, @oy), 4326)",
            ItemOrder.CapturedAsc => "p.captured_at, p.id",
            ItemOrder.CapturedDesc => "p.captured_at DESC, p.id",
            ItemOrder.UpdatedAsc => "p.updated_at, p.id",
            ItemOrder.IdAsc => "p.id",
            ItemOrder.IdDesc => "p.id DESC",
            _ => "p.updated_at DESC, p.id",
        };
        if (order == ItemOrder.Distance && orderPoint is { } op)
        {
            p.AddWithValue("ox", op.X);
            p.AddWithValue("oy", op.Y);
        }

        var sql = new StringBuilder();
        sql.Append("SELECT ").Append(Columns).Append(filter.WithNeighbours ? NeighbourColumns : NoNeighbourColumns).Append(TrailingColumns).Append("""

            FROM pictures p
            JOIN sequences s ON s.id = p.sequence_id
            JOIN accounts a ON a.id = p.account_id
            """);
        if (filter.WithNeighbours)
        {
            sql.Append("""

            LEFT JOIN LATERAL (
                SELECT n.id, n.location, n.captured_at FROM pictures n
                WHERE n.sequence_id = p.sequence_id AND n.rank < p.rank AND
            """).Append(neighbourVisible).Append("""

                ORDER BY n.rank DESC LIMIT 1) prev ON TRUE
            LEFT JOIN LATERAL (
                SELECT n.id, n.location, n.captured_at FROM pictures n
                WHERE n.sequence_id = p.sequence_id AND n.rank > p.rank AND
            """).Append(neighbourVisible).Append("""

                ORDER BY n.rank LIMIT 1) nxt ON TRUE
            """);
        }
        sql.Append("\nWHERE ").Append(string.Join("\n  AND ", where))
            .Append("\nORDER BY ").Append(orderBy);
        if (limit is { } l)
        {
            sql.Append("\nLIMIT @limit");
            p.AddWithValue("limit", l);
        }
        return sql.ToString();
    }

    private static async Task<List<ItemRow>> ReadRowsAsync(NpgsqlDataReader r, int? limit, CancellationToken ct)
    {
        var rows = new List<ItemRow>(limit is { } cap && cap < 1000 ? cap : 64);
        while (await r.ReadAsync(ct))
        {
            var seqId = r.GetGuid(1);
            rows.Add(new ItemRow
            {
                Id = r.GetGuid(0),
                SequenceId = seqId,
                Rank = r.GetInt32(2),
                Lon = r.GetDouble(3),
                Lat = r.GetDouble(4),
                CapturedAt = r.GetFieldValue<DateTimeOffset>(5),
                UtcOffsetMinutes = r.IsDBNull(6) ? null : r.GetInt16(6),
                Heading = r.IsDBNull(7) ? null : r.GetDouble(7),
                Pitch = r.IsDBNull(8) ? null : r.GetDouble(8),
                Roll = r.IsDBNull(9) ? null : r.GetDouble(9),
                Kind = r.GetString(10),
                CameraMake = r.IsDBNull(11) ? null : r.GetString(11),
                CameraModel = r.IsDBNull(12) ? null : r.GetString(12),
                FocalLength = r.IsDBNull(13) ? null : r.GetDouble(13),
                FieldOfView = r.IsDBNull(14) ? null : r.GetDouble(14),
                Width = r.GetInt32(15),
                Height = r.GetInt32(16),
                GpsAccuracy = r.IsDBNull(17) ? null : r.GetDouble(17),
                HorizontalPixelDensity = r.IsDBNull(18) ? null : r.GetInt32(18),
                OriginalFileName = r.GetString(19),
                OriginalFileSize = r.GetInt64(20),
                Status = r.GetString(21),
                Visibility = r.GetString(22),
                License = r.IsDBNull(23) ? null : r.GetString(23),
                ExifJson = r.GetString(24),
                SemanticsJson = r.GetString(25),
                SequenceSemanticsJson = r.GetString(26),
                TileCols = r.IsDBNull(27) ? null : r.GetInt32(27),
                TileRows = r.IsDBNull(28) ? null : r.GetInt32(28),
                CreatedAt = r.GetFieldValue<DateTimeOffset>(29),
                UpdatedAt = r.GetFieldValue<DateTimeOffset>(30),
                AccountId = r.GetGuid(31),
                AccountName = r.GetString(32),
                Prev = r.IsDBNull(33) ? null : new Neighbour(r.GetGuid(33), seqId, r.GetDouble(34), r.GetDouble(35), r.GetFieldValue<DateTimeOffset>(36)),
                Next = r.IsDBNull(37) ? null : new Neighbour(r.GetGuid(37), seqId, r.GetDouble(38), r.GetDouble(39), r.GetFieldValue<DateTimeOffset>(40)),
                RemoteAssetsJson = r.IsDBNull(41) ? null : r.GetString(41),
                Version = r.GetInt64(42),
            });
        }
        return rows;
    }

    /// <summary>
    /// One picture (as <see cref="ReadAsync"/> with its id, owners also seeing their unpublished pictures) and, for the
    /// viewer's "related" arrows, the nearest visible picture of each other sequence within <paramref name="radiusM"/>
    /// metres; flat pictures must look roughly the same way (within <paramref name="maxHeadingDiff"/>°).
    /// Both statements go in one batch: one round trip and one pooled connection per item page instead of two, which
    /// is what the page cost under load (each statement alone runs in a fraction of a millisecond).
    /// </summary>
    /// <returns>The item (null when absent or not visible to <paramref name="viewer"/>) and its related pictures.</returns>
    public static async Task<(ItemRow? Item, List<Neighbour> Related)> ReadWithRelatedAsync(
        NpgsqlDataSource db, Viewer viewer, Guid id, double radiusM, double maxHeadingDiff, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        var item = new NpgsqlBatchCommand();
        item.CommandText = Compose(item.Parameters, viewer, new ItemFilter { Ids = [id], IncludeUnpublishedForOwner = true }, ItemOrder.Rank, 1, null);
        var related = new NpgsqlBatchCommand();
        var p = related.Parameters;
        var visible = VisibilitySql.Predicate("n", viewer, p);
        var seqVisible = VisibilitySql.Predicate("s", viewer, p);
        // Index first, then refine: the GiST index finds the pictures in a degree box that holds the whole radius
        // (the same box as SqlConditions.DegreesAround), then the exact geodesic distance and the heading test.
        related.CommandText = $"""
            SELECT DISTINCT ON (n.sequence_id) n.id, n.sequence_id, ST_X(n.location), ST_Y(n.location), n.captured_at
            FROM pictures it
            JOIN pictures n ON n.location && ST_Expand(it.location,
                @r / (111320.0 * greatest(0.01, cos(ST_Y(it.location) * pi() / 180))), @r / 110540.0)
            JOIN sequences s ON s.id = n.sequence_id
            WHERE it.id = @id
              AND n.sequence_id <> it.sequence_id AND {visible} AND {seqVisible}
              AND ST_Distance(n.location::geography, it.location::geography) <= @r
              AND (it.kind = 'equirectangular' OR n.kind = 'equirectangular' OR n.heading IS NULL OR it.heading IS NULL
                   OR abs(mod((n.heading - it.heading + 540)::numeric, 360) - 180) <= @maxdiff)
            ORDER BY n.sequence_id, n.location <-> it.location
            LIMIT 20
            """;
        p.AddWithValue("id", id);
        p.AddWithValue("r", radiusM);
        p.AddWithValue("maxdiff", maxHeadingDiff);
        batch.BatchCommands.Add(item);
        batch.BatchCommands.Add(related);
        // Prepared (once per pooled connection, then reused): the SQL only varies with the kind of viewer, and
        // planning these two look-ups cost PostgreSQL more than running them.
        await batch.PrepareAsync(ct);

        await using var r = await batch.ExecuteReaderAsync(ct);
        var rows = await ReadRowsAsync(r, 1, ct);
        await r.NextResultAsync(ct);
        var list = new List<Neighbour>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new Neighbour(r.GetGuid(0), r.GetGuid(1), r.GetDouble(2), r.GetDouble(3), r.GetFieldValue<DateTimeOffset>(4)));
        }
        // Related pictures of a picture this viewer may not open are never shown.
        return rows.Count == 0 ? (null, []) : (rows[0], list);
    }
}
