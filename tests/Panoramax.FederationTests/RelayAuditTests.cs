using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;
using EntityKind = Panoramax.Domain.Federation.EntityKind;

namespace Panoramax.FederationTests;

/// <summary>
/// A snapshot relayed by a third party (spec §7, §9): B relays origin A's log to C, C is behind B's retention floor and copies
/// it with GetSnapshot. B is made malicious by editing its database: the payload of the newest (and only) upsert of one
/// picture is removed the way the sweeper removes a superseded one, so B's chain still verifies. C must not take that
/// header for the record's state in silence: it refuses it on B's status and gets the entry whole from the origin when it
/// can, else keeps reporting it. The schedulers of B and C are in standby: every pull is the test's.
/// </summary>
public sealed class RelayAuditTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2024, 9, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly FederatedInstance _a = new("alpha");
    private readonly FederatedInstance _b = new("bravo", [new("Panoramax:Federation:Retention", "00:00:00")]);
    private readonly FederatedInstance _c = new("charlie");

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_a.InitializeAsync(), _b.InitializeAsync(), _c.InitializeAsync());
        await Task.WhenAll(RetentionTests.StandbyAsync(_b), RetentionTests.StandbyAsync(_c));
    }

    public async Task DisposeAsync() => await Task.WhenAll(_a.DisposeAsync(), _b.DisposeAsync(), _c.DisposeAsync());

    [Fact]
    public async Task Relay_stripping_the_newest_upsert_of_a_record_is_refused_and_the_record_is_fetched_from_the_origin()
    {
        var (seq, stripped, honest) = await RelayStripsTheNewestUpsertOfOnePictureAsync();
        var p = seq.PictureIds;
        await Network.ConnectAsync(_c, _b);
        await Network.ConnectAsync(_c, _a);

        var outcome = await _c.SyncWithAsync(_b);

        // Refused on B's account, counted like any refused entry, and said so on B's status.
        Assert.Equal(1, outcome.Rejected);
        Assert.Contains($"refused 1 pruned entries served as the newest entry of their record (seqs {stripped})", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("1 records repaired from another source, 0 still missing", outcome.Error, StringComparison.Ordinal);
        var (error, rejected) = await StatusAsync(_c, _b);
        Assert.Equal(outcome.Error, error);
        Assert.Equal(1L, rejected);
        // The record came whole from A: C holds A's public records at A's versions and A's log, payloads included.
        Assert.True((await _c.SearchIdsAsync(p)).SetEquals(p));
        Assert.Equal(await RetentionTests.PublicVersionsAsync(_a, _a.Id), await RetentionTests.PublicVersionsAsync(_c, _a.Id));
        await RetentionTests.AssertSameLogAsync(_a, _c, _a.Id);
        Assert.Equal(await PayloadAsync(_a, stripped), await PayloadAsync(_c, stripped));
        // Only B's honest pruning remains on C: a superseded upsert, kept as a header.
        Assert.Equal(new List<long> { honest }, await PrunedSeqsAsync(_c));
        Assert.Equal(0L, await NewestPrunedCountAsync(_c));

        // Nothing left to refuse: the next pull is clean.
        var again = await _c.SyncWithAsync(_b);
        Assert.Null(again.Error);
        Assert.Equal(0, again.Rejected);
    }

    [Fact]
    public async Task Relay_stripping_the_newest_upsert_without_another_source_is_reported_on_every_pull_until_it_serves_it_whole()
    {
        var (seq, stripped, honest) = await RelayStripsTheNewestUpsertOfOnePictureAsync();
        var p = seq.PictureIds;
        // C knows A only through B.
        await Network.ConnectAsync(_c, _b);

        var outcome = await _c.SyncWithAsync(_b);

        Assert.Equal(1, outcome.Rejected);
        Assert.Contains($"(seqs {stripped})", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("0 records repaired from another source, 1 still missing", outcome.Error, StringComparison.Ordinal);
        Assert.Equal((outcome.Error, 1L), await StatusAsync(_c, _b));
        // The header is stored (the chain goes on) but never applied: the picture is absent, the others are there.
        Assert.Equal(0L, await _c.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE id = @id", ("id", p[1])));
        Assert.True((await _c.SearchIdsAsync(p)).SetEquals([p[0], p[2], p[3]]));
        Assert.Equal(1L, await NewestPrunedCountAsync(_c));

        // Still marked: every pull reports it again, and it is counted again.
        var again = await _c.SyncWithAsync(_b);
        Assert.Equal(1, again.Rejected);
        Assert.Contains($"(seqs {stripped})", again.Error, StringComparison.Ordinal);
        Assert.Equal((again.Error, 2L), await StatusAsync(_c, _b));

        // B gets the payload back (as if repaired by hand): the next pull takes the record from B and reports nothing.
        await ExecAsync(_b, "UPDATE change_log SET payload = @p WHERE origin_instance_id = @o AND seq = @s",
            ("p", (await PayloadAsync(_a, stripped))!), ("o", _a.Id), ("s", stripped));
        var mended = await _c.SyncWithAsync(_b);
        Assert.Null(mended.Error);
        Assert.Equal(0, mended.Rejected);
        Assert.Equal(((string?)null, 2L), await StatusAsync(_c, _b));
        Assert.True((await _c.SearchIdsAsync(p)).SetEquals(p));
        Assert.Equal(await RetentionTests.PublicVersionsAsync(_a, _a.Id), await RetentionTests.PublicVersionsAsync(_c, _a.Id));
        Assert.Equal(new List<long> { honest }, await PrunedSeqsAsync(_c));
        Assert.Equal(0L, await NewestPrunedCountAsync(_c));
    }

    /// <summary>
    /// A publishes 4 pictures and edits p0; B pulls them and its sweep (Retention 0) prunes p0's superseded first upsert
    /// (honest, returned as <c>Honest</c>); then B's copy of p1's only upsert loses its payload (<c>Stripped</c>).
    /// </summary>
    private async Task<(SeededSequence Seq, long Stripped, long Honest)> RelayStripsTheNewestUpsertOfOnePictureAsync()
    {
        var seq = await _a.PublishAsync(TestData.Walk(5.0, 45.0, Day, 4), title: "relayed walk");
        var p = seq.PictureIds;
        await RetentionTests.WaitSealedAsync(_a);
        await _a.ChangeAsync(EntityKind.Picture, p[0], ChangeOp.Upsert, "UPDATE pictures SET heading = 90, version = version + 1 WHERE id = @id");
        await RetentionTests.WaitSealedAsync(_a);
        await Network.ConnectAsync(_b, _a);
        Assert.Null((await _b.SyncWithAsync(_a)).Error);
        Assert.Equal(1L, (await RetentionTests.SweepAsync(_b)).Pruned);
        var honest = (await PrunedSeqsAsync(_b)).Single();

        var stripped = await _b.ScalarAsync<long>("SELECT max(seq) FROM change_log WHERE origin_instance_id = @o AND entity_id = @id", ("o", _a.Id), ("id", p[1]));
        Assert.Equal(1, await ExecAsync(_b, "UPDATE change_log SET payload = NULL WHERE origin_instance_id = @o AND seq = @s", ("o", _a.Id), ("s", stripped)));
        // Behind B's floor, C will need B's snapshot, which now carries the stripped entry as a header.
        Assert.True(await _b.ScalarAsync<long>("SELECT max(seq) FROM change_log WHERE origin_instance_id = @o AND op = 'upsert' AND payload IS NULL", ("o", _a.Id)) > 1);
        return (seq, stripped, honest);
    }

    private async Task<List<long>> PrunedSeqsAsync(FederatedInstance instance) =>
        await RetentionTests.QueryAsync(instance, "SELECT seq FROM change_log WHERE origin_instance_id = @o AND op = 'upsert' AND payload IS NULL ORDER BY seq",
            _a.Id, r => r.GetInt64(0));

    /// <summary>A's records held on <paramref name="instance"/> only as a pruned newest entry.</summary>
    private async Task<long> NewestPrunedCountAsync(FederatedInstance instance) => await instance.ScalarAsync<long>("""
        SELECT count(*) FROM change_log c WHERE c.origin_instance_id = @o AND c.op = 'upsert' AND c.payload IS NULL
          AND NOT EXISTS (SELECT 1 FROM change_log n WHERE n.origin_instance_id = c.origin_instance_id AND n.entity_kind = c.entity_kind
                          AND n.entity_id = c.entity_id AND n.seq > c.seq)
        """, ("o", _a.Id));

    private async Task<string?> PayloadAsync(FederatedInstance instance, long seq) =>
        await instance.ScalarAsync<string>("SELECT payload FROM change_log WHERE origin_instance_id = @o AND seq = @s", ("o", _a.Id), ("s", seq));

    /// <summary>The peer's status as <paramref name="instance"/> shows it: last error and refused entries.</summary>
    private static async Task<(string? Error, long Rejected)> StatusAsync(FederatedInstance instance, FederatedInstance peer) =>
        (await RetentionTests.QueryAsync(instance, "SELECT last_error, rejected_entries FROM instances WHERE id = @o", peer.Id,
            r => (r.IsDBNull(0) ? null : r.GetString(0), r.GetInt64(1)))).Single();

    private static async Task<int> ExecAsync(FederatedInstance instance, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        return await cmd.ExecuteNonQueryAsync();
    }
}
