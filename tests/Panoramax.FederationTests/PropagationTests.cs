using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;
using Panoramax.IntegrationTests.Pictures;
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
    public async Task Picture_files_asked_of_B_redirect_to_A_and_load_from_there()
    {
        // The viewer builds map previews from the instance's own templates (item-preview, collection-preview): on B they
        // name B's routes for pictures whose files only A has.
        var seq = await net.A.PublishAsync(TestData.Walk(2.3622, 48.8566, Day, 2, kind: "equirectangular"));
        var first = seq.PictureIds[0];
        var store = net.A.Services.GetRequiredService<IBlobStore>();
        var jpeg = await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg("DSCN0021.jpg"));
        foreach (var key in new[] { StorageKeys.Hd(first), StorageKeys.Sd(first), StorageKeys.Thumb(first), StorageKeys.Tile(first, 3, 1) })
        {
            await store.PutAsync(key, new MemoryStream(jpeg), "image/jpeg", default);
        }
        await net.A.ScalarAsync<object>("UPDATE pictures SET hd_key = @hd, sd_key = @sd, thumb_key = @thumb, tiles_prefix = @tiles WHERE id = @id",
            ("hd", StorageKeys.Hd(first)), ("sd", StorageKeys.Sd(first)), ("thumb", StorageKeys.Thumb(first)), ("tiles", StorageKeys.TilesPrefix(first)), ("id", first));
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync(seq.PictureIds)).Count == 2, "B's search finds A's pictures");

        var a = net.A.BaseUrl.ToString().TrimEnd('/');
        using var noFollow = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = net.B.BaseUrl };
        foreach (var (route, expected) in new[]
        {
            ($"/api/pictures/{first}/hd.jpg", $"{a}/api/pictures/{first}/hd.jpg"),
            ($"/api/pictures/{first}/sd.jpg", $"{a}/api/pictures/{first}/sd.jpg"),
            ($"/api/pictures/{first}/thumb.jpg", $"{a}/api/pictures/{first}/thumb.jpg"),
            ($"/api/pictures/{first}/tiled/3_1.jpg", $"{a}/api/pictures/{first}/tiled/3_1.jpg"),
            ($"/api/collections/{seq.Id}/thumb.jpg", $"{a}/api/pictures/{first}/thumb.jpg"),
        })
        {
            using var redirect = await noFollow.GetAsync(route);
            Assert.True(redirect.StatusCode == HttpStatusCode.Redirect, $"{route}: {(int)redirect.StatusCode} {await redirect.Content.ReadAsStringAsync()}");
            Assert.Equal(expected, redirect.Headers.Location?.ToString());
            Assert.True(redirect.Headers.CacheControl?.Public, route);

            using var followed = await net.B.Http.GetAsync(route);
            Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
            Assert.Equal("image/jpeg", followed.Content.Headers.ContentType?.MediaType);
            Assert.Equal(jpeg, await followed.Content.ReadAsByteArrayAsync());
        }

        // Outside the tile matrix the origin declared (8 x 4), or no such file: a 404 from B, no redirect.
        using var outside = await noFollow.GetAsync($"/api/pictures/{first}/tiled/8_0.jpg");
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        using var unknownFile = await noFollow.GetAsync($"/api/pictures/{first}/original.jpg");
        Assert.Equal(HttpStatusCode.NotFound, unknownFile.StatusCode);
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
