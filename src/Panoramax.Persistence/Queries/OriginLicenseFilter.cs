using Npgsql;
using NpgsqlTypes;

namespace Panoramax.Persistence.Queries;

/// <summary>How many records of the origin the filter hides once set.</summary>
public sealed record LicenseFilterOutcome(long HiddenSequences, long HiddenPictures);

/// <summary>
/// Sets an origin's licence filter (<c>instances.accepted_licenses</c>) and re-flags its records in the same
/// transaction: one set-based UPDATE per table, touching only rows whose flag changes. Records are never re-fetched:
/// relaxing the filter brings them back at once. Rows written later are flagged by the triggers of the
/// <c>LicenseFilter</c> migration; the rule below is theirs, written set-based.
/// </summary>
public static class OriginLicenseFilter
{
    /// <returns>null when <paramref name="instanceId"/> is not a known other instance (our own records are never filtered).</returns>
    public static async Task<LicenseFilterOutcome?> SetAsync(NpgsqlDataSource db, Guid instanceId, IReadOnlyList<string>? accepted, DateTimeOffset now, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SetOnceAsync(db, instanceId, accepted, now, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
                // An apply upserting a row of this origin holds it while its trigger waits for our lock on the origin:
                // PostgreSQL cancels one of us; if it was us, the apply goes on and we simply run again.
            }
        }
    }

    private static async Task<LicenseFilterOutcome?> SetOnceAsync(NpgsqlDataSource db, Guid instanceId, IReadOnlyList<string>? accepted, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // FOR UPDATE waits for applies holding the row FOR KEY SHARE (their trigger read the old filter), so the
        // updates below see their rows; applies starting later wait for us and read the new filter.
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM instances WHERE id = @id AND NOT is_self FOR UPDATE", conn, tx))
        {
            lockRow.Parameters.AddWithValue("id", instanceId);
            if (await lockRow.ExecuteScalarAsync(ct) is null)
            {
                return null;
            }
        }
        var lowered = accepted?.Select(a => a.ToLowerInvariant()).ToArray();
        await using (var batch = new NpgsqlBatch(conn, tx))
        {
            batch.BatchCommands.Add(Command("UPDATE instances SET accepted_licenses = @accepted, updated_at = @now WHERE id = @id",
                instanceId, accepted?.ToArray(), lowered, now));
            batch.BatchCommands.Add(Command("""
                UPDATE sequences s SET license_filtered = f.filtered
                FROM (SELECT id, coalesce(@lowered IS NOT NULL AND (license IS NULL OR lower(license) <> ALL (@lowered)), false) AS filtered
                      FROM sequences WHERE origin_instance_id = @id) f
                WHERE s.id = f.id AND s.license_filtered <> f.filtered
                """, instanceId, accepted?.ToArray(), lowered, now));
            batch.BatchCommands.Add(Command("""
                UPDATE pictures p SET license_filtered = f.filtered
                FROM (SELECT id, coalesce(@lowered IS NOT NULL AND license IS NOT NULL AND lower(license) <> ALL (@lowered), false) AS filtered
                      FROM pictures WHERE origin_instance_id = @id) f
                WHERE p.id = f.id AND p.license_filtered <> f.filtered
                """, instanceId, accepted?.ToArray(), lowered, now));
            batch.BatchCommands.Add(Command("""
                SELECT (SELECT count(*) FROM sequences WHERE origin_instance_id = @id AND license_filtered AND deleted_at IS NULL),
                       (SELECT count(*) FROM pictures WHERE origin_instance_id = @id AND license_filtered AND deleted_at IS NULL)
                """, instanceId, accepted?.ToArray(), lowered, now));
            await using var r = await batch.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            var outcome = new LicenseFilterOutcome(r.GetInt64(0), r.GetInt64(1));
            await r.DisposeAsync();
            await tx.CommitAsync(ct);
            return outcome;
        }
    }

    private static NpgsqlBatchCommand Command(string sql, Guid id, string[]? accepted, string[]? lowered, DateTimeOffset now)
    {
        var c = new NpgsqlBatchCommand(sql);
        c.Parameters.AddWithValue("id", id);
        c.Parameters.Add(new NpgsqlParameter("accepted", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)accepted ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("lowered", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)lowered ?? DBNull.Value });
        c.Parameters.AddWithValue("now", now);
        return c;
    }
}
