using System.Text.Json;
using Npgsql;

namespace Panoramax.Federation.Reconcile;

/// <summary>
/// Finished reconcile reports in <c>federation_reconcile_reports</c>: the admin API and page read them after a restart.
/// The last <see cref="KeptPerPeer"/> of each peer are kept; a peer's reports go when the peer is removed.
/// </summary>
public sealed class ReconcileReportStore(NpgsqlDataSource db)
{
    /// <summary>Reports kept per peer (older ones are pruned when a new one is stored).</summary>
    public const int KeptPerPeer = 50;

    private const int MaxErrorLength = 2000;
    private static readonly JsonSerializerOptions DetailsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private const string Columns = """
        peer_id, started_at, finished_at, origins_compared, ranges_compared, differing_ranges, digest_calls, entries_fetched,
        records_repaired, deferred_ranges, error, details
        """;

    /// <summary>Stores <paramref name="report"/> and prunes the peer's oldest reports beyond <see cref="KeptPerPeer"/>, in one transaction.</summary>
    public async Task SaveAsync(ReconcileReport report, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO federation_reconcile_reports ({Columns}, unrepairable_ranges)
            VALUES (@peer, @started, @finished, @origins, @ranges, @differing, @calls, @fetched, @repaired, @deferred, @error, @details::jsonb, @unrepairable)
            """, conn, tx))
        {
            insert.Parameters.AddWithValue("peer", report.PeerId);
            insert.Parameters.AddWithValue("started", report.StartedAt);
            insert.Parameters.AddWithValue("finished", report.FinishedAt);
            insert.Parameters.AddWithValue("origins", report.OriginsCompared);
            insert.Parameters.AddWithValue("ranges", report.RangesCompared);
            insert.Parameters.AddWithValue("differing", report.DifferingRanges);
            insert.Parameters.AddWithValue("calls", report.DigestCalls);
            insert.Parameters.AddWithValue("fetched", report.EntriesFetched);
            insert.Parameters.AddWithValue("repaired", report.RecordsRepaired);
            insert.Parameters.AddWithValue("deferred", report.DeferredRanges);
            insert.Parameters.AddWithValue("error", report.Error is null ? DBNull.Value : report.Error.Length > MaxErrorLength ? report.Error[..MaxErrorLength] : report.Error);
            insert.Parameters.AddWithValue("details", JsonSerializer.Serialize(new Details(report.UnrepairableRanges), DetailsJson));
            insert.Parameters.AddWithValue("unrepairable", report.UnrepairableRanges.Count);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using (var prune = new NpgsqlCommand("""
            DELETE FROM federation_reconcile_reports WHERE peer_id = @peer AND id NOT IN (
                SELECT id FROM federation_reconcile_reports WHERE peer_id = @peer ORDER BY finished_at DESC, id DESC LIMIT @kept)
            """, conn, tx))
        {
            prune.Parameters.AddWithValue("peer", report.PeerId);
            prune.Parameters.AddWithValue("kept", KeptPerPeer);
            await prune.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>The peer's last <paramref name="limit"/> reports, newest first.</summary>
    public async Task<IReadOnlyList<ReconcileReport>> HistoryAsync(Guid peer, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            SELECT {Columns} FROM federation_reconcile_reports WHERE peer_id = @peer ORDER BY finished_at DESC, id DESC LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("peer", peer);
        cmd.Parameters.AddWithValue("limit", limit);
        return await ReadAsync(cmd, ct);
    }

    /// <summary>The newest report of every peer that has one.</summary>
    public async Task<IReadOnlyDictionary<Guid, ReconcileReport>> LatestOfEveryPeerAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            SELECT DISTINCT ON (peer_id) {Columns} FROM federation_reconcile_reports ORDER BY peer_id, finished_at DESC, id DESC
            """);
        return (await ReadAsync(cmd, ct)).ToDictionary(r => r.PeerId);
    }

    private static async Task<List<ReconcileReport>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var reports = new List<ReconcileReport>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var details = JsonSerializer.Deserialize<Details>(r.GetString(11), DetailsJson);
            reports.Add(new ReconcileReport(
                r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5),
                r.GetInt32(6), r.GetInt64(7), r.GetInt32(8), r.GetInt32(9), details?.UnrepairableRanges ?? [], r.IsDBNull(10) ? null : r.GetString(10)));
        }
        return reports;
    }

    /// <summary>The <c>details</c> column: what the counters do not say.</summary>
    private sealed record Details(IReadOnlyList<UnrepairableRange> UnrepairableRanges);
}
