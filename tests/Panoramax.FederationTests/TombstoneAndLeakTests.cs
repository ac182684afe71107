using Panoramax.Domain.Federation;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;

namespace Panoramax.FederationTests;

public sealed class TombstoneAndLeakTests(ChainNetwork net) : IClassFixture<ChainNetwork>
{
    private static readonly DateTimeOffset Day = new(2024, 7, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Hidden_and_deleted_pictures_on_A_leave_B_and_C_and_never_come_back()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(4.35, 50.85, Day, 3));
        var (hidden, deleted, kept) = (seq.PictureIds[0], seq.PictureIds[1], seq.PictureIds[2]);
        await Network.WaitUntilAsync(async () => (await net.C.SearchIdsAsync(seq.PictureIds)).Count == 3, "C has A's pictures through B");

        // Hide: the writer records an ordinary change; the sealer sees the picture is no longer public and emits a tombstone.
        await net.A.ChangeAsync(EntityKind.Picture, hidden, ChangeOp.Upsert, "UPDATE pictures SET visibility = 'owner-only', version = version + 1 WHERE id = @id");
        await net.A.ChangeAsync(EntityKind.Picture, deleted, ChangeOp.Tombstone, "UPDATE pictures SET deleted_at = now(), status = 'deleted', version = version + 1 WHERE id = @id");
        foreach (var peer in new[] { net.B, net.C })
        {
            await Network.WaitUntilAsync(async () => (await peer.SearchIdsAsync(seq.PictureIds)).SetEquals([kept]), $"{peer.Name} drops the hidden and deleted pictures");
            using var gone = await peer.Http.GetAsync($"/api/collections/{seq.Id}/items/{hidden}");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        }
        // The hidden picture's feed entry carries nothing of it.
        Assert.Equal(0L, await net.B.ScalarAsync<long>(
            "SELECT count(*) FROM change_log WHERE entity_id = @id AND op = 'upsert' AND entity_version > 1", ("id", hidden)));

        // A late upsert (an older version, e.g. a replay through another path) does not resurrect it.
        var b = net.B;
        await b.SyncWithAsync(net.A);
        await net.C.SyncWithAsync(net.B);
        Assert.Equal([kept], await net.C.SearchIdsAsync(seq.PictureIds));
        Assert.Equal("deleted", await b.ScalarAsync<string>("SELECT status FROM pictures WHERE id = @id", ("id", deleted)));
    }

    [Fact]
    public async Task A_picture_hidden_on_A_leaves_B_cached_tiles_and_low_zoom_grid_at_once()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(7.5120, 43.7910, Day, 3), title: "map walk");
        var hidden = seq.PictureIds[0];
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync(seq.PictureIds)).Count == 3, "B has A's pictures");
        var (x, y) = Mvt.TileOf(7.5120, 43.7910, 15);
        var (gx, gy) = Mvt.TileOf(7.5120, 43.7910, 3);
        async Task<HashSet<string>> PointsAsync() =>
            Mvt.Decode(await net.B.Http.GetByteArrayAsync($"/api/map/15/{x}/{y}.mvt")).GetValueOrDefault("pictures", [])
                .Select(f => f.Properties["id"].ToString()!).ToHashSet();
        // The 0.1° cell of the walk: (75 + 1800) * 1800 + (437 + 900).
        async Task<long?> CellCountAsync() =>
            Mvt.Decode(await net.B.Http.GetByteArrayAsync($"/api/map/3/{gx}/{gy}.mvt")).GetValueOrDefault("grid", [])
                .Where(f => Convert.ToInt64(f.Properties["id"], System.Globalization.CultureInfo.InvariantCulture) == ((75 + 1800) * 1800) + 437 + 900)
                .Select(f => (long?)Convert.ToInt64(f.Properties["nb_pictures"], System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();
        // Both tiles are now in B's cache (kept a minute by default), the grid counted by the refresh the apply asked for.
        Assert.Contains(hidden.ToString(), await PointsAsync());
        await Network.WaitUntilAsync(async () => await CellCountAsync() == 3, "B's grid counts the walk", seconds: 10);

        await net.A.ChangeAsync(EntityKind.Picture, hidden, ChangeOp.Upsert, "UPDATE pictures SET visibility = 'owner-only', version = version + 1 WHERE id = @id");
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync([hidden])).Count == 0, "B applies the tombstone");
        // The tile at once, the grid within the apply's refresh window (5 s): not after the cache's minute or the grid's
        // periodic refresh (30 s).
        await Network.WaitUntilAsync(async () => !(await PointsAsync()).Contains(hidden.ToString()), "B's cached tile drops the picture", seconds: 5);
        await Network.WaitUntilAsync(async () => await CellCountAsync() == 2, "B's grid no longer counts it", seconds: 10);
    }

    [Fact]
    public async Task Deleted_sequence_on_A_takes_its_pictures_off_B()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(4.40, 50.80, Day, 2), title: "to be deleted");
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync(seq.PictureIds)).Count == 2, "B has the sequence");
        await net.A.ChangeAsync(EntityKind.Sequence, seq.Id, ChangeOp.Tombstone, "UPDATE sequences SET deleted_at = now(), status = 'deleted', version = version + 1 WHERE id = @id");
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync(seq.PictureIds)).Count == 0, "B hides the deleted sequence's pictures");
        using var response = await net.B.Http.GetAsync($"/api/collections/{seq.Id}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("owner-only")]
    [InlineData("logged-only")]
    public async Task Non_public_pictures_never_leave_A(string visibility)
    {
        var hiddenSeq = await net.A.PublishAsync(TestData.Walk(5.0, 45.0, Day, 2), visibility: visibility, title: $"{visibility} walk");
        var mixed = await TestData.SequenceAsync(net.A, net.A.AccountId,
            [new SeedPicture(5.1, 45.1, Day) { Visibility = visibility }, new SeedPicture(5.1001, 45.1001, Day.AddSeconds(2)), new SeedPicture(5.1002, 45.1002, Day.AddSeconds(4)) { Status = "waiting-for-process" }]);
        await net.A.AppendAsync([(EntityKind.Sequence, mixed.Id, ChangeOp.Upsert), .. mixed.PictureIds.Select(p => (EntityKind.Picture, p, ChangeOp.Upsert))]);
        var publicOne = mixed.PictureIds[1];
        await Network.WaitUntilAsync(async () => (await net.C.SearchIdsAsync([publicOne])).Count == 1, "the public picture reaches C");

        var secret = hiddenSeq.PictureIds.Concat([mixed.PictureIds[0], mixed.PictureIds[2]]).ToList();
        foreach (var peer in new[] { net.B, net.C })
        {
            foreach (var id in secret.Append(hiddenSeq.Id))
            {
                Assert.Equal(0L, await peer.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE id = @id", ("id", id)));
                Assert.Equal(0L, await peer.ScalarAsync<long>("SELECT count(*) FROM sequences WHERE id = @id", ("id", id)));
                // Their entries exist (the seq numbers must stay gap-free) but only as empty tombstones.
                Assert.Equal(0L, await peer.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE entity_id = @id AND (op <> 'tombstone' OR payload IS NOT NULL)", ("id", id)));
            }
            Assert.Null(await peer.ScalarAsync<string>("SELECT string_agg(payload, '') FROM change_log WHERE payload LIKE '%' || @t || '%'", ("t", $"{visibility} walk")));
        }
    }

    [Fact]
    public async Task Relay_through_B_keeps_A_as_origin_and_A_signature_verifies_on_C()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(6.0, 46.0, Day, 2));
        await Network.WaitUntilAsync(async () => (await net.C.SearchIdsAsync(seq.PictureIds)).Count == 2, "C has A's pictures");
        Assert.Equal(net.A.Id, await net.C.ScalarAsync<Guid>("SELECT origin_instance_id FROM pictures WHERE id = @id", ("id", seq.PictureIds[0])));
        // C never talked to A: A is known to C only as an origin vouched for by B.
        Assert.False(await net.C.ScalarAsync<bool>("SELECT is_peer FROM instances WHERE id = @id", ("id", net.A.Id)));

        var key = (await net.C.ScalarAsync<byte[]>("SELECT public_key FROM instances WHERE id = @id", ("id", net.A.Id)))!;
        var last = await net.C.ScalarAsync<long>("SELECT max(seq) FROM change_log WHERE origin_instance_id = @id", ("id", net.A.Id));
        var hash = (await net.C.ScalarAsync<byte[]>("SELECT entry_hash FROM change_log WHERE origin_instance_id = @id AND seq = @s", ("id", net.A.Id), ("s", last)))!;
        var sig = (await net.C.ScalarAsync<byte[]>("SELECT signature FROM change_log WHERE origin_instance_id = @id AND seq = @s", ("id", net.A.Id), ("s", last)))!;
        Assert.True(FeedCrypto.VerifyCheckpoint(key, net.A.Id, last, hash, sig));
        // Relayed byte for byte: C's copy of the entry is A's entry.
        var payloadOnA = await net.A.ScalarAsync<string>("SELECT payload FROM change_log WHERE origin_instance_id = @id AND seq = @s", ("id", net.A.Id), ("s", last));
        var payloadOnC = await net.C.ScalarAsync<string>("SELECT payload FROM change_log WHERE origin_instance_id = @id AND seq = @s", ("id", net.A.Id), ("s", last));
        Assert.Equal(payloadOnA, payloadOnC);
    }
}
