using System.Text;
using Npgsql;
using Panoramax.Domain.Visibility;

namespace Panoramax.Persistence.Queries;

/// <summary>A sequence as STAC collection lists and pages need it; <see cref="Visible"/> false means "show as a deleted stub".</summary>
public sealed record CollectionRow
{
    public Guid Id { get; init; }
    public required string Title { get; init; }
    public required string Status { get; init; }
    public required string Visibility { get; init; }
    public string? License { get; init; }
    public required string SortedBy { get; init; }
    public required string UploadSoftware { get; init; }
    public required string SemanticsJson { get; init; }
    public (double MinX, double MinY, double MaxX, double MaxY)? Bbox { get; init; }
    public DateTimeOffset? MinCapturedAt { get; init; }
    public DateTimeOffset? MaxCapturedAt { get; init; }
    public int PictureCount { get; init; }
    public double LengthKm { get; init; }
    public string? Kind { get; init; }
    public string? CameraModel { get; init; }
    public double? GpsAccuracy { get; init; }
    public int? HorizontalPixelDensity { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public Guid AccountId { get; init; }
    public required string AccountName { get; init; }
    public Guid? UploadSetId { get; init; }
    public bool Visible { get; init; }
}

/// <summary>A sort key of collection lists, mapped to a column.</summary>
public sealed record CollectionSort(string Field, bool Descending)
{
    public string Column => Field switch
    {
        "created" => "s.created_at",
        "updated" => "s.updated_at",
        "datetime" => "coalesce(s.min_captured_at, '-infinity'::timestamptz)",
        "id" => "s.id",
        _ => throw new ArgumentOutOfRangeException(nameof(Field), Field, "unknown sort field"),
    };
}

public sealed record CollectionFilter
{
    public (double MinX, double MinY, double MaxX, double MaxY)? Bbox { get; init; }
    public DateTimeOffset? CapturedFrom { get; init; }
    public DateTimeOffset? CapturedTo { get; init; }
    public Guid? AccountId { get; init; }
    public Guid? Id { get; init; }
    /// <summary>Any of these sequences (the federation sealer renders a batch at once).</summary>
    public IReadOnlyList<Guid>? Ids { get; init; }
    /// <summary>Also return sequences that were deleted or are hidden from this viewer, as stubs (harvesters need tombstones).</summary>
    public bool ShowDeleted { get; init; }
    /// <summary>Owners/admins see their unpublished sequences (single collection route, own catalog).</summary>
    public bool IncludeUnpublishedForOwner { get; init; }
    public string? ExtraPredicate { get; init; }
    public IReadOnlyList<NpgsqlParameter> ExtraParameters { get; init; } = [];
}

/// <summary>Keyset position: the sort values of a boundary row, and whether we page after or before it (no values + before = last page).</summary>
public sealed record Keyset(IReadOnlyList<object> Values, bool Before);

public static class CollectionQuery
{
    private const string Columns = """
        s.id, s.title, s.status, s.visibility, s.license, s.sorted_by, s.upload_software, s.semantics::text,
        ST_XMin(s.bbox), ST_YMin(s.bbox), ST_XMax(s.bbox), ST_YMax(s.bbox), s.min_captured_at, s.max_captured_at,
        s.picture_count, s.length_km, s.kind, s.camera_model, s.gps_accuracy, s.horizontal_pixel_density,
        s.created_at, s.updated_at, s.account_id, a.name, s.upload_set_id
        """;

    /// <summary>Reads one page; the caller asks for limit+1 rows to know whether another page follows.</summary>
    public static async Task<List<CollectionRow>> ReadAsync(
        NpgsqlDataSource db, Viewer viewer, CollectionFilter filter, IReadOnlyList<CollectionSort> sort, Keyset? keyset, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        var p = cmd.Parameters;
        var visible = VisibilitySql.Predicate("s", viewer, p, publishedOnly: !filter.IncludeUnpublishedForOwner);
        var where = new List<string>();
        if (filter.ShowDeleted)
        {
            // Tombstones: deleted sequences, and published ones this viewer may not see, come back as stubs.
            where.Add($"({visible} OR s.status = 'deleted' OR (s.status = 'ready' AND s.deleted_at IS NULL))");
        }
        else
        {
            where.Add(visible);
        }
        if (filter.Id is { } id)
        {
            where.Add("s.id = @id");
            p.AddWithValue("id", id);
        }
        if (filter.Ids is { Count: > 0 } ids)
        {
            where.Add("s.id = ANY(@ids)");
            p.AddWithValue("ids", ids.ToArray());
        }
        if (filter.AccountId is { } account)
        {
            where.Add("s.account_id = @account");
            p.AddWithValue("account", account);
        }
        if (filter.Bbox is { } b)
        {
            where.Add(SqlConditions.BboxIntersects("s.bbox", b, p));
        }
        if (filter.CapturedFrom is { } from)
        {
            where.Add("s.max_captured_at >= @cfrom");
            p.AddWithValue("cfrom", from);
        }
        if (filter.CapturedTo is { } to)
        {
            where.Add("s.min_captured_at <= @cto");
            p.AddWithValue("cto", to);
        }
        if (filter.ExtraPredicate is { } extra)
        {
            where.Add(extra);
            foreach (var x in filter.ExtraParameters)
            {
                p.Add(x);
            }
        }
        var before = keyset?.Before ?? false;
        // A keyset without values and Before = the last page: same order reversed, no boundary.
        if (keyset is { Values.Count: > 0 })
        {
            where.Add(KeysetPredicate(sort, keyset, p));
        }

        var order = string.Join(", ", sort.Select(k => $"{k.Column} {((k.Descending ^ before) ? "DESC" : "ASC")}"));
        var sql = new StringBuilder()
            .Append("SELECT ").Append(Columns).Append(", ").Append(visible).Append(" AS visible")
            .Append("\nFROM sequences s JOIN accounts a ON a.id = s.account_id\nWHERE ")
            .Append(string.Join("\n  AND ", where))
            .Append("\nORDER BY ").Append(order)
            .Append("\nLIMIT @limit");
        p.AddWithValue("limit", limit);
        cmd.CommandText = sql.ToString();

        var rows = new List<CollectionRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            rows.Add(new CollectionRow
            {
                Id = r.GetGuid(0),
                Title = r.GetString(1),
                Status = r.GetString(2),
                Visibility = r.GetString(3),
                License = r.IsDBNull(4) ? null : r.GetString(4),
                SortedBy = r.GetString(5),
                UploadSoftware = r.GetString(6),
                SemanticsJson = r.GetString(7),
                Bbox = r.IsDBNull(8) ? null : (r.GetDouble(8), r.GetDouble(9), r.GetDouble(10), r.GetDouble(11)),
                MinCapturedAt = r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                MaxCapturedAt = r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13),
                PictureCount = r.GetInt32(14),
                LengthKm = r.GetDouble(15),
                Kind = r.IsDBNull(16) ? null : r.GetString(16),
                CameraModel = r.IsDBNull(17) ? null : r.GetString(17),
                GpsAccuracy = r.IsDBNull(18) ? null : r.GetDouble(18),
                HorizontalPixelDensity = r.IsDBNull(19) ? null : r.GetInt32(19),
                CreatedAt = r.GetFieldValue<DateTimeOffset>(20),
                UpdatedAt = r.GetFieldValue<DateTimeOffset>(21),
                AccountId = r.GetGuid(22),
                AccountName = r.GetString(23),
                UploadSetId = r.IsDBNull(24) ? null : r.GetGuid(24),
                Visible = r.GetBoolean(25),
            });
        }
        if (before)
        {
            rows.Reverse();
        }
        return rows;
    }

    /// <summary>The sort values of a row, in sort-key order (what a keyset token stores).</summary>
    public static IReadOnlyList<object> SortValues(CollectionRow row, IReadOnlyList<CollectionSort> sort) =>
        sort.Select(k => k.Field switch
        {
            "created" => (object)row.CreatedAt,
            "updated" => row.UpdatedAt,
            "datetime" => row.MinCapturedAt ?? DateTimeOffset.MinValue,
            _ => row.Id,
        }).ToList();

    /// <summary>Rows strictly after (or before) the boundary in the sort order, with mixed directions: (a > x) OR (a = x AND b > y) …</summary>
    private static string KeysetPredicate(IReadOnlyList<CollectionSort> sort, Keyset keyset, NpgsqlParameterCollection p)
    {
        var ors = new List<string>();
        for (var i = 0; i < sort.Count; i++)
        {
            var ands = new List<string>();
            for (var j = 0; j < i; j++)
            {
                ands.Add($"{sort[j].Column} = @k{j}");
            }
            var forward = !sort[i].Descending ^ keyset.Before;
            ands.Add($"{sort[i].Column} {(forward ? ">" : "<")} @k{i}");
            ors.Add("(" + string.Join(" AND ", ands) + ")");
        }
        for (var i = 0; i < sort.Count; i++)
        {
            // DateTimeOffset.MinValue is sent as -infinity, matching the coalesce of the datetime sort column.
            p.AddWithValue($"k{i}", keyset.Values[i]);
        }
        return "(" + string.Join(" OR ", ors) + ")";
    }

    /// <summary>Distinct camera characteristics of a sequence's visible pictures (summaries of the single collection).</summary>
    public static async Task<List<(string? Make, string? Model, double? Focal, double? Fov)>> CamerasAsync(NpgsqlDataSource db, Viewer viewer, Guid sequenceId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        var visible = VisibilitySql.Predicate("p", viewer, cmd.Parameters, publishedOnly: false);
        cmd.CommandText = $"""
            SELECT DISTINCT p.camera_make, p.camera_model, p.focal_length_mm, p.field_of_view_deg
            FROM pictures p WHERE p.sequence_id = @seq AND {visible}
            ORDER BY 1, 2, 3, 4 LIMIT 50
            """;
        cmd.Parameters.AddWithValue("seq", sequenceId);
        var list = new List<(string?, string?, double?, double?)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(ReadCamera(r, 0));
        }
        return list;
    }

    /// <summary>
    /// <see cref="CamerasAsync"/> for many sequences in one round trip (same rows, same order, same limit per
    /// sequence); a sequence without visible pictures has an empty list.
    /// </summary>
    public static async Task<Dictionary<Guid, List<(string? Make, string? Model, double? Focal, double? Fov)>>> CamerasManyAsync(
        NpgsqlDataSource db, Viewer viewer, IReadOnlyList<Guid> sequenceIds, CancellationToken ct)
    {
        var result = sequenceIds.Distinct().ToDictionary(id => id, _ => new List<(string?, string?, double?, double?)>());
        if (result.Count == 0)
        {
            return result;
        }
        await using var cmd = db.CreateCommand();
        var visible = VisibilitySql.Predicate("p", viewer, cmd.Parameters, publishedOnly: false);
        // The outer sort repeats the inner one so each sequence's list keeps CamerasAsync's order.
        cmd.CommandText = $"""
            SELECT x.sid, c.camera_make, c.camera_model, c.focal_length_mm, c.field_of_view_deg
            FROM unnest(@seqs) AS x(sid)
            CROSS JOIN LATERAL (
                SELECT DISTINCT p.camera_make, p.camera_model, p.focal_length_mm, p.field_of_view_deg
                FROM pictures p WHERE p.sequence_id = x.sid AND {visible}
                ORDER BY 1, 2, 3, 4 LIMIT 50) c
            ORDER BY 1, 2, 3, 4, 5
            """;
        cmd.Parameters.AddWithValue("seqs", result.Keys.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            result[r.GetGuid(0)].Add(ReadCamera(r, 1));
        }
        return result;
    }

    private static (string?, string?, double?, double?) ReadCamera(NpgsqlDataReader r, int i) =>
        (r.IsDBNull(i) ? null : r.GetString(i), r.IsDBNull(i + 1) ? null : r.GetString(i + 1),
         r.IsDBNull(i + 2) ? null : r.GetDouble(i + 2), r.IsDBNull(i + 3) ? null : r.GetDouble(i + 3));
}
