using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Sync;
using Panoramax.IntegrationTests.Infrastructure;
using Quartz;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;
using EntityKind = Panoramax.Domain.Federation.EntityKind;

namespace Panoramax.FederationTests;

/// <summary>
/// Retention (spec §7): the sweep removes the payload of old superseded upserts and keeps every header; a peer behind
/// the floor gets RESYNC_REQUIRED and copies the compacted log with GetSnapshot, then follows the feed again.
/// A prunes every superseded entry as soon as it is sealed (Retention 0), so its floor moves with each sweep.
/// The receivers' Quartz schedulers are in standby: every pull in these tests is the one the test makes.
/// </summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2024, 8, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FederatedInstance _a = new("alpha", [new("Panoramax:Federation:Retention", "00:00:00"), new("Panoramax:Federation:CheckpointEvery", "16")]);
    private readonly FederatedInstance _b = new("bravo", [new("Panoramax:Federation:Retention", "00:00:00"), new("Panoramax:Federation:BatchSize", "20")]);

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_a.InitializeAsync(), _b.InitializeAsync());
        await StandbyAsync(_b);
    }

    public async Task DisposeAsync() => await Task.WhenAll(_a.DisposeAsync(), _b.DisposeAsync());

    [Fact]
    public async Task Peer_behind_the_retention_floor_resyncs_from_a_snapshot_and_converges()
    {
        var (seq, pruned) = await PublishEditHideDeleteAndSweepAsync();
        var p = seq.PictureIds;
        var floor = (await OriginStateAsync(_a, _a.Id)).MinSeq;
        Assert.Equal(pruned.Max() + 1, floor);

        await Network.ConnectAsync(_b, _a);
        var outcome = await _b.SyncWithAsync(_a);
        Assert.Null(outcome.Error);
        Assert.Equal(0, outcome.Rejected);

        // B holds A's log header for header (the pruned ones only as headers: they came from the snapshot, the feed never serves them).
        await AssertSameLogAsync(_a, _b, _a.Id);
        Assert.Equal(pruned, await PrunedSeqsAsync(_b, _a.Id));
        // Exactly A's public records at A's versions; the hidden and deleted pictures never existed on B, edits are there.
        Assert.Equal(await PublicVersionsAsync(_a, _a.Id), await PublicVersionsAsync(_b, _a.Id));
        Assert.Equal(await PublicVersionsAsync(_a, _a.Id, "sequences"), await PublicVersionsAsync(_b, _a.Id, "sequences"));
        foreach (var gone in new[] { p[2], p[3] })
        {
            Assert.Equal(0L, await _b.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE id = @id", ("id", gone)));
        }
        Assert.Equal(90.0, await _b.ScalarAsync<double>("SELECT heading FROM pictures WHERE id = @id", ("id", p[0])));
        Assert.True((await _b.SearchIdsAsync(p)).SetEquals([p[0], p[1], p[4], p[5]]));

        // Past the floor, the ordinary feed carries what A does next.
        var later = await _a.PublishAsync(TestData.Walk(3.1, 47.1, Day.AddDays(1), 2), title: "after the resync");
        await WaitSealedAsync(_a);
        var position = await _b.ScalarAsync<long>("SELECT last_seq FROM instances WHERE id = @id", ("id", _a.Id));
        Assert.True(position >= floor - 1);
        var fed = await ReadAsync(_b, _a, c => c.GetChanges(new GetChangesRequest { OriginId = _a.Id.ToString(), SinceSeq = position }, Token(_b, _a)));
        Assert.Equal(3, fed.Count);
        Assert.Null((await _b.SyncWithAsync(_a)).Error);
        Assert.True((await _b.SearchIdsAsync(later.PictureIds)).SetEquals(later.PictureIds));
        await AssertSameLogAsync(_a, _b, _a.Id);
    }

    [Fact]
    public async Task GetChanges_below_the_floor_answers_RESYNC_REQUIRED_and_GetSnapshot_serves_every_entry_with_pruned_ones_as_headers()
    {
        var (_, pruned) = await PublishEditHideDeleteAndSweepAsync();
        var floor = pruned.Max() + 1;
        await Network.ConnectAsync(_b, _a);
        var origin = _a.Id.ToString();

        var below = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(_b, _a, c => c.GetChanges(new GetChangesRequest { OriginId = origin, SinceSeq = floor - 2 }, Token(_b, _a))));
        Assert.Equal(StatusCode.FailedPrecondition, below.StatusCode);
        Assert.Equal("RESYNC_REQUIRED", below.Status.Detail);

        var max = await _a.ScalarAsync<long>("SELECT max(seq) FROM change_log WHERE origin_instance_id = @o", ("o", _a.Id));
        var atFloor = await ReadAsync(_b, _a, c => c.GetChanges(new GetChangesRequest { OriginId = origin, SinceSeq = floor - 1 }, Token(_b, _a)));
        Assert.Equal(max - floor + 1, (long)atFloor.Count);
        Assert.DoesNotContain(atFloor, FeedReader.IsPruned);

        var snapshot = await ReadAsync(_b, _a, c => c.GetSnapshot(new GetSnapshotRequest { OriginId = origin }, Token(_b, _a)));
        Assert.Equal(Enumerable.Range(1, (int)max).Select(i => (long)i), snapshot.Select(e => e.Seq));
        Assert.Equal(pruned, snapshot.Where(FeedReader.IsPruned).Select(e => e.Seq).ToList());
        Assert.All(snapshot.Where(FeedReader.IsPruned), e => Assert.Contains(e.PayloadHash.ToByteArray(), b => b != 0));
        // Paged: a page ends at max_entries, the next one starts after it.
        var page = await ReadAsync(_b, _a, c => c.GetSnapshot(new GetSnapshotRequest { OriginId = origin, AfterSeq = 2, MaxEntries = 3 }, Token(_b, _a)));
        Assert.Equal(new long[] { 3, 4, 5 }, page.Select(e => e.Seq));

        var bad = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(_b, _a, c => c.GetSnapshot(new GetSnapshotRequest { OriginId = "nope" }, Token(_b, _a))));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(_b, _a, c => c.GetSnapshot(new GetSnapshotRequest { OriginId = Guid.CreateVersion7().ToString() }, Token(_b, _a))));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var tokenless = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(_b, _a, c => c.GetSnapshot(new GetSnapshotRequest { OriginId = origin })));
        Assert.Equal(StatusCode.Unauthenticated, tokenless.StatusCode);
    }

    [Fact]
    public async Task Relay_behind_its_own_floor_serves_a_snapshot_that_verifies_against_the_origin_key()
    {
        var (seq, pruned) = await PublishEditHideDeleteAndSweepAsync();
        await Network.ConnectAsync(_b, _a);
        Assert.Null((await _b.SyncWithAsync(_a)).Error);
        // B holds A's pruned headers, so B's own floor for A is A's: a newcomer behind it needs a snapshot from B.
        Assert.Equal(pruned.Max() + 1, (await OriginStateAsync(_b, _a.Id)).MinSeq);

        var c = new FederatedInstance("charlie");
        await c.InitializeAsync();
        try
        {
            await StandbyAsync(c);
            await Network.ConnectAsync(c, _b);
            var outcome = await c.SyncWithAsync(_b);
            Assert.Null(outcome.Error);
            Assert.Equal(0, outcome.Rejected);
            Assert.False(await c.ScalarAsync<bool>("SELECT is_peer FROM instances WHERE id = @id", ("id", _a.Id)));
            await AssertSameLogAsync(_a, c, _a.Id);
            Assert.Equal(pruned, await PrunedSeqsAsync(c, _a.Id));
            Assert.Equal(await PublicVersionsAsync(_a, _a.Id), await PublicVersionsAsync(c, _a.Id));
            Assert.True((await c.SearchIdsAsync(seq.PictureIds)).SetEquals([seq.PictureIds[0], seq.PictureIds[1], seq.PictureIds[4], seq.PictureIds[5]]));
        }
        finally
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task Interrupted_snapshot_copy_resumes_from_the_last_applied_batch()
    {
        // 8 sequences of 50 pictures, every picture edited twice: 1208 entries, the first 808 behind A's floor.
        var ids = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            ids.AddRange((await _a.PublishAsync(TestData.Walk(1.0 + (i * 0.01), 44.0, Day.AddHours(i), 50), title: $"walk {i}")).PictureIds);
        }
        for (var edit = 1; edit <= 2; edit++)
        {
            await using (var conn = new NpgsqlConnection(_a.ConnectionString))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("UPDATE pictures SET heading = @h, version = version + 1 WHERE id = ANY(@ids)", conn);
                cmd.Parameters.AddWithValue("h", 10.0 * edit);
                cmd.Parameters.AddWithValue("ids", ids.ToArray());
                await cmd.ExecuteNonQueryAsync();
            }
            await _a.AppendAsync(ids.Select(id => (EntityKind.Picture, id, ChangeOp.Upsert)));
        }
        await WaitSealedAsync(_a);
        Assert.Equal(800L, (await SweepAsync(_a)).Pruned);
        var max = await _a.ScalarAsync<long>("SELECT max(seq) FROM change_log WHERE origin_instance_id = @o", ("o", _a.Id));
        await Network.ConnectAsync(_b, _a);

        // Interrupt the copy between two of B's batches: hold the row each batch locks, note where B stands, cancel.
        using var cts = new CancellationTokenSource();
        var sync = _b.Services.GetRequiredService<PeerSynchronizer>().SyncAsync(_a.Id, cts.Token);
        long interruptedAt;
        await using (var conn = new NpgsqlConnection(_b.ConnectionString))
        {
            await conn.OpenAsync();
            // Polled tightly: the whole copy takes a few seconds at most.
            while (await LastSeqAsync(conn, null) == 0 && !sync.IsCompleted)
            {
                await Task.Delay(2);
            }
            await using var tx = await conn.BeginTransactionAsync();
            interruptedAt = await LastSeqAsync(conn, tx, forUpdate: true);
            await cts.CancelAsync();
            try
            {
                await sync;
            }
            catch (Exception e) when (e is OperationCanceledException or NpgsqlException or RpcException)
            {
                // The interruption itself.
            }
            await tx.RollbackAsync();
        }
        Assert.True(interruptedAt > 0 && interruptedAt < max, $"the interruption came too late to test anything ({interruptedAt}/{max} applied)");
        Assert.Equal(interruptedAt, await _b.ScalarAsync<long>("SELECT last_seq FROM instances WHERE id = @id", ("id", _a.Id)));
        Assert.Equal(interruptedAt, await _b.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @id", ("id", _a.Id)));

        // The next pull starts where the last committed batch left the cursor: every entry is applied exactly once.
        var resumed = await _b.SyncWithAsync(_a);
        Assert.Null(resumed.Error);
        Assert.Equal(max - interruptedAt, (long)resumed.Applied);
        await AssertSameLogAsync(_a, _b, _a.Id);
        Assert.Equal(await PublicVersionsAsync(_a, _a.Id), await PublicVersionsAsync(_b, _a.Id));
        Assert.Equal(400L, await _b.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE origin_instance_id = @o AND heading = 20", ("o", _a.Id)));

        async Task<long> LastSeqAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, bool forUpdate = false)
        {
            await using var cmd = new NpgsqlCommand($"SELECT last_seq FROM instances WHERE id = @id{(forUpdate ? " FOR UPDATE" : "")}", conn, tx);
            cmd.Parameters.AddWithValue("id", _a.Id);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }
    }

    [Fact]
    public async Task Sweep_prunes_only_superseded_upserts_older_than_the_retention_and_never_the_newest_entry_of_a_record()
    {
        // Default retention (90 days): entries are aged by hand.
        var d = new FederatedInstance("delta");
        await d.InitializeAsync();
        try
        {
            var seq = await d.PublishAsync(TestData.Walk(2.0, 46.0, Day, 4));
            var p = seq.PictureIds;
            await WaitSealedAsync(d);
            await d.ChangeAsync(EntityKind.Picture, p[0], ChangeOp.Upsert, "UPDATE pictures SET heading = 1, version = version + 1 WHERE id = @id");
            await d.ChangeAsync(EntityKind.Picture, p[1], ChangeOp.Upsert, "UPDATE pictures SET heading = 1, version = version + 1 WHERE id = @id");
            await d.ChangeAsync(EntityKind.Picture, p[3], ChangeOp.Upsert, "UPDATE pictures SET visibility = 'owner-only', version = version + 1 WHERE id = @id");
            await WaitSealedAsync(d);
            var first = await FirstSeqsAsync(d, p);
            // Everything is 91 days old except the superseded first entry of p1.
            await d.ScalarAsync<int>("UPDATE change_log SET sealed_at = sealed_at - interval '91 days' WHERE origin_instance_id = @o AND seq <> @recent",
                ("o", d.Id), ("recent", first[p[1]]));

            Assert.Equal(0L, (await OriginStateAsync(d, d.Id)).MinSeq);
            var sweep = await SweepAsync(d);
            Assert.Equal(2L, sweep.Pruned);
            // Superseded and old: p0's first upsert, p3's (hidden since: the tombstone stays). Kept: p1's (recent), p2's (newest).
            Assert.Equal(new List<long> { first[p[0]], first[p[3]] }, await PrunedSeqsAsync(d, d.Id));
            Assert.Equal(0L, await d.ScalarAsync<long>("""
                SELECT count(*) FROM change_log c WHERE c.origin_instance_id = @o AND c.op = 'upsert' AND c.payload IS NULL
                  AND NOT EXISTS (SELECT 1 FROM change_log n WHERE n.origin_instance_id = c.origin_instance_id AND n.entity_id = c.entity_id AND n.seq > c.seq)
                """, ("o", d.Id)));
            // 7 upserts (sequence, 4 pictures, 2 edits) less the 2 pruned.
            Assert.Equal(5L, await d.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o AND op = 'upsert' AND payload IS NOT NULL", ("o", d.Id)));
            // Headers stay whole: every entry still has its hashes, and the chain still links.
            Assert.Equal(0L, await d.ScalarAsync<long>("""
                SELECT count(*) FROM change_log c LEFT JOIN change_log prev ON prev.origin_instance_id = c.origin_instance_id AND prev.seq = c.seq - 1
                WHERE c.origin_instance_id = @o AND (c.entry_hash IS NULL OR (c.op = 'upsert' AND c.payload_hash IS NULL) OR (c.seq > 1 AND c.prev_hash IS DISTINCT FROM prev.entry_hash))
                """, ("o", d.Id)));
            Assert.Equal(first[p[3]] + 1, (await OriginStateAsync(d, d.Id)).MinSeq);
            Assert.Equal(0L, (await SweepAsync(d)).Pruned);

            // The same sweep on demand for administrators.
            using (var anonymous = await d.Http.PostAsync("/api/admin/federation/retention", null))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            }
            using var admin = await TestAuth.AdminAsync(d);
            using var response = await admin.PostAsync("/api/admin/federation/retention", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(0, body.GetProperty("pruned").GetInt64());
        }
        finally
        {
            await d.DisposeAsync();
        }
    }

    /// <summary>
    /// A: one sequence of 6 pictures; p0 and p1 edited (heading 90), p2 hidden, p3 deleted; everything sealed, then swept.
    /// Returns the pruned seqs: the first upserts of p0–p3.
    /// </summary>
    private async Task<(SeededSequence Seq, List<long> Pruned)> PublishEditHideDeleteAndSweepAsync()
    {
        var seq = await _a.PublishAsync(TestData.Walk(3.0, 47.0, Day, 6), title: "kept walk");
        var p = seq.PictureIds;
        // Sealed first, or the sealer would render the later state (a hidden picture's first entry would be a tombstone too).
        await WaitSealedAsync(_a);
        foreach (var id in new[] { p[0], p[1] })
        {
            await _a.ChangeAsync(EntityKind.Picture, id, ChangeOp.Upsert, "UPDATE pictures SET heading = 90, version = version + 1 WHERE id = @id");
        }
        await _a.ChangeAsync(EntityKind.Picture, p[2], ChangeOp.Upsert, "UPDATE pictures SET visibility = 'owner-only', version = version + 1 WHERE id = @id");
        await _a.ChangeAsync(EntityKind.Picture, p[3], ChangeOp.Tombstone, "UPDATE pictures SET deleted_at = now(), status = 'deleted', version = version + 1 WHERE id = @id");
        await WaitSealedAsync(_a);
        Assert.Equal(4L, (await SweepAsync(_a)).Pruned);
        var first = await FirstSeqsAsync(_a, p);
        var pruned = await PrunedSeqsAsync(_a, _a.Id);
        Assert.Equal(new[] { p[0], p[1], p[2], p[3] }.Select(id => first[id]).Order(), pruned);
        return (seq, pruned);
    }

    internal static async Task StandbyAsync(FederatedInstance instance) =>
        await (await instance.Services.GetRequiredService<ISchedulerFactory>().GetScheduler()).Standby();

    internal static Task<RetentionSweepResult> SweepAsync(FederatedInstance instance) =>
        instance.Services.GetRequiredService<RetentionSweeper>().SweepAsync(CancellationToken.None);

    private static async Task<OriginState> OriginStateAsync(FederatedInstance instance, Guid origin) =>
        (await instance.Services.GetRequiredService<FeedReader>().OriginsAsync(CancellationToken.None)).Single(o => o.OriginId == origin.ToString());

    internal static Task WaitSealedAsync(FederatedInstance instance) =>
        Network.WaitUntilAsync(async () => await instance.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE sealed_at IS NULL") == 0, $"{instance.Name} seals its log");

    private static async Task<List<long>> PrunedSeqsAsync(FederatedInstance instance, Guid origin) =>
        [.. (await QueryAsync(instance, "SELECT seq FROM change_log WHERE origin_instance_id = @o AND op = 'upsert' AND payload IS NULL ORDER BY seq", origin, r => r.GetInt64(0)))];

    private static async Task<Dictionary<Guid, long>> FirstSeqsAsync(FederatedInstance instance, IEnumerable<Guid> ids)
    {
        var all = await QueryAsync(instance, "SELECT entity_id, min(seq) FROM change_log WHERE origin_instance_id = @o GROUP BY entity_id", instance.Id,
            r => (r.GetGuid(0), r.GetInt64(1)));
        var wanted = ids.ToHashSet();
        return all.Where(x => wanted.Contains(x.Item1)).ToDictionary(x => x.Item1, x => x.Item2);
    }

    /// <summary>Public records of one origin as (id, version), in id order.</summary>
    internal static async Task<List<(Guid, long)>> PublicVersionsAsync(FederatedInstance instance, Guid origin, string table = "pictures") =>
        await QueryAsync(instance, $"""
            SELECT id, version FROM {table} WHERE origin_instance_id = @o AND status = 'ready' AND visibility = 'anyone' AND deleted_at IS NULL ORDER BY id
            """, origin, r => (r.GetGuid(0), r.GetInt64(1)));

    /// <summary>Both instances hold the same entries of <paramref name="origin"/>: same seqs, same entry hashes, same signatures.</summary>
    internal static async Task AssertSameLogAsync(FederatedInstance expected, FederatedInstance actual, Guid origin)
    {
        const string sql = """
            SELECT seq, encode(entry_hash, 'hex') || ':' || coalesce(encode(signature, 'hex'), '') || ':' || encode(coalesce(payload_hash, '\x'::bytea), 'hex')
            FROM change_log WHERE origin_instance_id = @o AND sealed_at IS NOT NULL ORDER BY seq
            """;
        var a = await QueryAsync(expected, sql, origin, r => (r.GetInt64(0), r.GetString(1)));
        var b = await QueryAsync(actual, sql, origin, r => (r.GetInt64(0), r.GetString(1)));
        Assert.NotEmpty(a);
        Assert.Equal(a, b);
    }

    internal static async Task<List<T>> QueryAsync<T>(FederatedInstance instance, string sql, Guid origin, Func<NpgsqlDataReader, T> read)
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("o", origin);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<T>();
        while (await r.ReadAsync())
        {
            list.Add(read(r));
        }
        return list;
    }

    /// <summary>A call token from <paramref name="caller"/> (with its own key) to <paramref name="callee"/>.</summary>
    private static Metadata Token(FederatedInstance caller, FederatedInstance callee) =>
        caller.Services.GetRequiredService<PeerClients>().Headers(caller.Id, callee.Id);

    private static async Task<List<ChangeEntry>> ReadAsync(FederatedInstance caller, FederatedInstance callee,
        Func<Federation.Protocol.V1.Federation.FederationClient, AsyncServerStreamingCall<ChangeEntry>> start)
    {
        using var call = start(caller.Services.GetRequiredService<PeerClients>().Client(callee.GrpcUrl));
        var list = new List<ChangeEntry>();
        await foreach (var e in call.ResponseStream.ReadAllAsync())
        {
            list.Add(e);
        }
        return list;
    }
}
