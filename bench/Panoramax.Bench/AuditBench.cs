using System.Diagnostics;
using Panoramax.Federation.Sync;

namespace Panoramax.Bench;

/// <summary>
/// Cost of the snapshot audit (spec §7, "Pruned entries must be superseded") on a large honest log: one relayed origin whose
/// N records each have a pruned first upsert (seqs 1..N) and a whole later one (N+1..2N), the worst case for the audit
/// (every pruned entry is probed and none is a violation). Measured: the full audit (the first pull after start-up), the audit
/// of a snapshot page of 5000 pruned entries, the one after an ordinary pull of 5000 whole entries, and as baseline in the same run the range scan of the same
/// partial index alone (<c>count(*)</c> of the origin's pruned entries). Best of 5 runs after a warm-up.
/// </summary>
internal static class AuditBench
{
    public static async Task<int> RunAsync(int records)
    {
        await using var db = await BenchDatabase.CreateAsync();
        var origin = Guid.CreateVersion7();
        Console.WriteLine($"audit: one origin, {records:N0} records, {2 * records:N0} entries of which {records:N0} pruned (superseded)");
        await db.ExecAsync($$"""
            INSERT INTO instances (id, name, is_self, trust, last_seq, created_at, updated_at, is_peer, rejected_entries)
            VALUES ('{{origin}}', 'origin', false, 'trusted', {{2L * records}}, now(), now(), false, 0);
            INSERT INTO change_log (origin_instance_id, seq, entity_kind, entity_id, op, entity_version, created_at, payload,
                                    payload_hash, prev_hash, entry_hash, sealed_at)
            SELECT '{{origin}}', g.seq, 'picture', e.id, 'upsert', CASE WHEN g.seq <= {{records}} THEN 1 ELSE 2 END, now(),
                   CASE WHEN g.seq <= {{records}} THEN NULL ELSE '{"type":"Feature","id":"' || e.id || '"}' END,
                   sha256(int8send(g.seq)), sha256(int8send(g.seq - 1)), sha256(int8send(g.seq) || '\x01'::bytea), now()
            FROM generate_series(1, {{2L * records}}) AS g(seq)
            CROSS JOIN LATERAL (SELECT md5((((g.seq - 1) % {{records}}) + 1)::text)::uuid AS id) e
            """);
        await db.ExecAsync("VACUUM ANALYZE change_log");
        var max = 2L * records;
        var baseline = await BestAsync(async () =>
        {
            await using var cmd = db.DataSource.CreateCommand("""
                SELECT count(*) FROM change_log WHERE origin_instance_id = @o AND op = 'upsert' AND payload IS NULL AND sealed_at IS NOT NULL
                """);
            cmd.Parameters.AddWithValue("o", origin);
            var n = (long)(await cmd.ExecuteScalarAsync())!;
            return n == records ? 0 : throw new InvalidOperationException($"{n} pruned entries, expected {records}");
        });
        var full = await BestAsync(async () => (await SnapshotAudit.NewestPrunedAsync(db.DataSource, origin, 0, max, SnapshotAudit.MaxPerAudit, CancellationToken.None)).Count);
        var grouped = await BestAsync(async () =>
        {
            await using var cmd = db.DataSource.CreateCommand("""
                SELECT max(seq) FILTER (WHERE op = 'upsert' AND payload IS NULL AND sealed_at IS NOT NULL) AS p
                FROM change_log WHERE origin_instance_id = @o AND seq > 0 AND seq <= @m
                GROUP BY entity_kind, entity_id
                HAVING max(seq) FILTER (WHERE op = 'upsert' AND payload IS NULL AND sealed_at IS NOT NULL) = max(seq)
                ORDER BY 1 LIMIT 64
                """);
            cmd.Parameters.AddWithValue("o", origin);
            cmd.Parameters.AddWithValue("m", max);
            var n = 0;
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                n++;
            }
            return n;
        });
        Console.WriteLine(FormattableString.Invariant($"full audit as one grouped pass over the origin's entries: {grouped.TotalMilliseconds:F1} ms"));
        var page = await BestAsync(async () => (await SnapshotAudit.NewestPrunedAsync(db.DataSource, origin, Math.Max(0, records - 5000), records, SnapshotAudit.MaxPerAudit, CancellationToken.None)).Count);
        var pull = await BestAsync(async () => (await SnapshotAudit.NewestPrunedAsync(db.DataSource, origin, max - 5000, max, SnapshotAudit.MaxPerAudit, CancellationToken.None)).Count);
        Console.WriteLine(FormattableString.Invariant($"baseline, range scan of the pruned entries (count): {baseline.TotalMilliseconds:F1} ms"));
        Console.WriteLine(FormattableString.Invariant($"full audit (first pull after start-up): {full.TotalMilliseconds:F1} ms = {full / baseline:F2}x the scan, {records / full.TotalSeconds:N0} pruned entries/s"));
        Console.WriteLine(FormattableString.Invariant($"audit of a snapshot page of 5000 pruned entries: {page.TotalMilliseconds:F2} ms"));
        Console.WriteLine(FormattableString.Invariant($"audit after an ordinary pull of 5000 entries (none pruned): {pull.TotalMilliseconds:F2} ms"));
        return 0;
    }

    /// <summary>Best of 5 timed runs after one warm-up; every run must find no violation.</summary>
    private static async Task<TimeSpan> BestAsync(Func<Task<int>> run)
    {
        if (await run() != 0)
        {
            throw new InvalidOperationException("an honest log must show no violation");
        }
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            await run();
            best = sw.Elapsed < best ? sw.Elapsed : best;
        }
        return best;
    }
}
