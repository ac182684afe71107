using Panoramax.Domain.Federation;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;

namespace Panoramax.FederationTests;

public sealed class PropagationTests(ChainNetwork net) : IClassFixture<ChainNetwork>
{
    private static readonly DateTimeOffset Day = new(2024, 6, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Picture_published_on_A_appears_in_B_search_items_and_tiles_with_hrefs_to_A()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(2.3522, 48.8566, Day, 3));
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync(seq.PictureIds)).Count == 3, "B's search finds A's pictures");

        var item = await net.B.GetJsonAsync($"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}");
        var hd = item.GetProperty("assets").GetProperty("hd").GetProperty("href").GetString()!;
        Assert.StartsWith(net.A.BaseUrl.ToString().TrimEnd('/'), hd, StringComparison.Ordinal);
        Assert.EndsWith($"/api/pictures/{seq.PictureIds[0]}/hd.jpg", hd, StringComparison.Ordinal);
        Assert.StartsWith(net.A.BaseUrl.ToString().TrimEnd('/'), item.GetProperty("assets").GetProperty("thumb").GetProperty("href").GetString()!, StringComparison.Ordinal);
        Assert.Equal($"{net.A.Name}-user", item.GetProperty("properties").GetProperty("providers")[0].GetProperty("name").GetString());

        var items = await net.B.GetJsonAsync($"/api/collections/{seq.Id}/items");
        Assert.Equal(3, items.GetProperty("features").GetArrayLength());
        var collection = await net.B.GetJsonAsync($"/api/collections/{seq.Id}");
        Assert.Equal("Federated walk", collection.GetProperty("title").GetString());
        Assert.Equal(3, collection.GetProperty("stats:items").GetProperty("count").GetInt32());

        var (x, y) = Mvt.TileOf(2.3522, 48.8566, 15);
        using var tile = await net.B.Http.GetAsync($"/api/map/15/{x}/{y}.mvt");
        var layers = Mvt.Decode(await tile.Content.ReadAsByteArrayAsync());
        var ids = layers.GetValueOrDefault("pictures", []).Select(f => f.Properties["id"].ToString()).ToHashSet();
        Assert.Contains(seq.PictureIds[0].ToString(), ids);

        // B keeps A as the origin of the copies.
        Assert.Equal(net.A.Id, await net.B.ScalarAsync<Guid>("SELECT origin_instance_id FROM pictures WHERE id = @id", ("id", seq.PictureIds[0])));
    }

    [Fact]
    public async Task Peer_status_shows_last_sync_and_no_lag_once_caught_up()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(2.36, 48.86, Day, 1));
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync(seq.PictureIds)).Count == 1, "B has A's picture");
        var peers = await net.B.WithAdminAsync(a => a.ListAsync(CancellationToken.None));
        var a = Assert.Single(peers, p => p.Id == net.A.Id);
        Assert.Equal("trusted", a.Trust);
        Assert.NotNull(a.LastSyncAt);
        Assert.Null(a.LastError);
        Assert.Equal(0, a.RejectedEntries);
    }
}
