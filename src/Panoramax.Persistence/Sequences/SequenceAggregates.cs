using Npgsql;

namespace Panoramax.Persistence.Sequences;

/// <summary>
/// Recomputes what a sequence derives from its published pictures (line, bbox, time span, count, length,
/// dominant type and camera, quality figures), bumps its version and <c>updated_at</c> (the meta-catalogue
/// harvester re-reads sequences whose <c>updated</c> moved). Call it in the transaction that changed the pictures.
/// </summary>
public static class SequenceAggregates
{
    // The derived values of one sequence (@id, or t.id in the set-based form): one place for both forms.
    private const string Set = """
        UPDATE sequences s SET
            geometry = agg.line,
            bbox = CASE WHEN agg.box IS NULL THEN NULL
                        ELSE ST_MakeEnvelope(ST_XMin(agg.box), ST_YMin(agg.box), ST_XMax(agg.box), ST_YMax(agg.box), 4326) END,
            min_captured_at = agg.tmin,
            max_captured_at = agg.tmax,
            picture_count = agg.n,
            length_km = coalesce(ST_Length(agg.line::geography), 0) / 1000.0,
            kind = agg.kind,
            camera_model = agg.model,
            gps_accuracy = agg.acc,
            horizontal_pixel_density = agg.density,
            updated_at = @now,
            version = s.version + 1
        """;

    private const string Aggregate = """
            SELECT
                CASE WHEN count(*) >= 2 THEN ST_MakeLine(p.location ORDER BY p.rank) END AS line,
                ST_Extent(p.location) AS box,
                min(p.captured_at) AS tmin,
                max(p.captured_at) AS tmax,
                count(*)::int AS n,
                mode() WITHIN GROUP (ORDER BY p.kind) AS kind,
                mode() WITHIN GROUP (ORDER BY nullif(concat_ws(' ', p.camera_make, p.camera_model), '')) AS model,
                max(p.gps_accuracy_m) AS acc,
                min(p.horizontal_pixel_density) AS density
            FROM pictures p
            WHERE p.sequence_id = @id AND p.status = 'ready' AND p.deleted_at IS NULL
        """;

    private const string Sql = Set + "\nFROM (\n" + Aggregate + ") agg\nWHERE s.id = @id";

    // An aggregate without GROUP BY yields one row even for a sequence left without pictures (count 0, no line), per id.
    private static readonly string ManySql = Set
        + "\nFROM (SELECT DISTINCT unnest(@ids) AS id) t CROSS JOIN LATERAL (\n"
        + Aggregate.Replace("p.sequence_id = @id", "p.sequence_id = t.id", StringComparison.Ordinal)
        + ") agg\nWHERE s.id = t.id";

    // Replicated sequences keep their origin's version: it is what decides whether a later copy is newer.
    private static readonly string SqlKeepingVersion = KeepVersion(Sql);
    private static readonly string ManySqlKeepingVersion = KeepVersion(ManySql);

    private static string KeepVersion(string sql) => sql.Replace("version = s.version + 1", "version = s.version", StringComparison.Ordinal);

    /// <summary>Recomputes; <paramref name="bumpVersion"/> is false for copies of other origins' sequences, whose version belongs to the origin.</summary>
    public static async Task RefreshAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid sequenceId, DateTimeOffset now, CancellationToken ct, bool bumpVersion = true)
    {
        await using var cmd = new NpgsqlCommand(bumpVersion ? Sql : SqlKeepingVersion, connection, transaction);
        cmd.Parameters.AddWithValue("id", sequenceId);
        cmd.Parameters.AddWithValue("now", now);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// <see cref="RefreshAsync"/> for many sequences in one statement (what the federation applier does once per
    /// transaction instead of once per touched sequence); the values are the same.
    /// </summary>
    public static async Task RefreshManyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<Guid> sequenceIds, DateTimeOffset now, CancellationToken ct, bool bumpVersion = true)
    {
        if (sequenceIds.Count == 0)
        {
            return;
        }
        await using var cmd = new NpgsqlCommand(bumpVersion ? ManySql : ManySqlKeepingVersion, connection, transaction);
        cmd.Parameters.Add(new NpgsqlParameter("ids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid) { Value = sequenceIds.ToArray() });
        cmd.Parameters.AddWithValue("now", now);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
