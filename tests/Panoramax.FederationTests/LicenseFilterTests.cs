using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Federation;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;
using EntityKind = Panoramax.Domain.Federation.EntityKind;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;

namespace Panoramax.FederationTests;

/// <summary>
/// A—B—C. B's administrator accepts only CC0 from A: A's share-alike sequence is stored and relayed by B but shown
/// nowhere on B; C, following B, still gets both and applies its own filter (here on A, an origin it only knows through B).
/// </summary>
public sealed class LicenseFilterTests(ChainNetwork net) : IClassFixture<ChainNetwork>
{
    private static readonly DateTimeOffset Day = new(2024, 9, 3, 7, 0, 0, TimeSpan.Zero);

    /// <summary>Publishes on A a sequence whose licence is <paramref name="license"/> (on the sequence; its Items name it too).</summary>
    private async Task<SeededSequence> PublishOnAAsync(double lon, double lat, string license)
    {
        var seq = await TestData.SequenceAsync(net.A, net.A.AccountId, TestData.Walk(lon, lat, Day, 2), title: $"{license} walk");
        await net.A.ChangeAsync(EntityKind.Sequence, seq.Id, ChangeOp.Upsert, "UPDATE sequences SET license = '" + license + "' WHERE id = @id");
        await net.A.AppendAsync(seq.PictureIds.Select(p => (EntityKind.Picture, p, ChangeOp.Upsert)));
        return seq;
    }

    private static async Task<int> RowsAsync(FederatedInstance on, SeededSequence seq) =>
        (int)(await on.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE sequence_id = @s", ("s", seq.Id)));

    private static async Task<HttpStatusCode> StatusAsync(FederatedInstance on, string path)
    {
        using var response = await on.Http.GetAsync(path);
        return response.StatusCode;
    }

    private static async Task<HashSet<string>> TilePicturesAsync(FederatedInstance on, double lon, double lat)
    {
        var (x, y) = Mvt.TileOf(lon, lat, 15);
        var layers = Mvt.Decode(await on.Http.GetByteArrayAsync($"/api/map/15/{x}/{y}.mvt"));
        return [.. layers.GetValueOrDefault("pictures", []).Select(f => f.Properties["id"].ToString()!)];
    }

    /// <summary>B's answer to C's live Search RPC (what a peer fanning out sees from B).</summary>
    private async Task<HashSet<Guid>> LiveSearchOfBAsync(IEnumerable<Guid> ids)
    {
        using var channel = GrpcChannel.ForAddress(net.B.GrpcUrl);
        var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
        var request = new SearchRequest { RequestId = Guid.NewGuid().ToString(), HopsLeft = 1, Limit = 100, DeadlineMs = 5000 };
        request.Ids.AddRange(ids.Select(i => i.ToString()));
        var key = net.C.Services.GetRequiredService<InstanceKeyStore>();
        var token = new Metadata { { CallToken.MetadataKey, CallToken.Create(key, net.C.Id, net.B.Id, TimeProvider.System.GetUtcNow()) } };
        var answer = await client.SearchAsync(request, token);
        return [.. answer.Items.Select(i => Guid.Parse(JsonDocument.Parse(i.Memory).RootElement.GetProperty("id").GetString()!))];
    }

    private static async Task<HttpStatusCode> PutFilterAsync(FederatedInstance on, Guid origin, string[]? accepted)
    {
        using var admin = await TestAuth.AdminAsync(on);
        using var response = await admin.PutAsJsonAsync($"/api/admin/peers/{origin}/licenses", new { accepted_licenses = accepted });
        return response.StatusCode;
    }

    [Fact]
    public async Task B_accepting_only_CC0_from_A_shows_only_the_CC0_sequence_while_C_still_gets_both_and_relaxing_brings_it_back()
    {
        // Set before B has any of it: the entries are flagged as they are applied.
        Assert.Equal(HttpStatusCode.OK, await PutFilterAsync(net.B, net.A.Id, ["CC0-1.0"]));
        var shareAlike = await PublishOnAAsync(3.8801, 43.6101, "CC-BY-SA-4.0");
        var cc0 = await PublishOnAAsync(3.8803, 43.6103, "CC0-1.0");
        var both = shareAlike.PictureIds.Concat(cc0.PictureIds).ToList();

        // B stores both (it must relay them), C gets both through B.
        await Network.WaitUntilAsync(async () => await RowsAsync(net.B, shareAlike) == 2 && await RowsAsync(net.B, cc0) == 2, "B stored both sequences of A");
        await Network.WaitUntilAsync(async () => (await net.C.SearchIdsAsync(both)).Count == 4, "C shows both sequences of A, relayed by B");

        // B shows only the CC0 one: search, collection and item routes, collections list, tiles, live Search RPC.
        Assert.Equal(cc0.PictureIds.ToHashSet(), await net.B.SearchIdsAsync(both));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(net.B, $"/api/collections/{shareAlike.Id}"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(net.B, $"/api/collections/{shareAlike.Id}/items/{shareAlike.PictureIds[0]}"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(net.B, $"/api/collections/{cc0.Id}"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(net.B, $"/api/collections/{cc0.Id}/items/{cc0.PictureIds[0]}"));
        var listed = (await net.B.GetJsonAsync("/api/collections?limit=1000&bbox=3.87,43.60,3.89,43.62")).GetProperty("collections")
            .EnumerateArray().Select(c => Guid.Parse(c.GetProperty("id").GetString()!)).ToHashSet();
        Assert.Equal([cc0.Id], listed);
        var tile = await TilePicturesAsync(net.B, 3.8802, 43.6102);
        Assert.Contains(cc0.PictureIds[0].ToString(), tile);
        Assert.DoesNotContain(shareAlike.PictureIds[0].ToString(), tile);
        Assert.Equal(cc0.PictureIds.ToHashSet(), await LiveSearchOfBAsync(both));
        // B's own live fan-out asks A, which shows both: A's share-alike items must not come back through it.
        var fanOut = await net.B.GetJsonAsync($"/api/search?federated=live&limit=100&ids={string.Join(',', both)}");
        Assert.Equal(cc0.PictureIds.ToHashSet(), fanOut.GetProperty("features").EnumerateArray().Select(f => Guid.Parse(f.GetProperty("id").GetString()!)).ToHashSet());

        // Relaxing brings it back at once, without a resync.
        Assert.Equal(HttpStatusCode.OK, await PutFilterAsync(net.B, net.A.Id, null));
        Assert.Equal(both.ToHashSet(), await net.B.SearchIdsAsync(both));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(net.B, $"/api/collections/{shareAlike.Id}"));
        Assert.Contains(shareAlike.PictureIds[0].ToString(), await TilePicturesAsync(net.B, 3.8802, 43.6102));
        Assert.Equal(both.ToHashSet(), await LiveSearchOfBAsync(both));

        // Tightening the other way re-flags the stored records set-based.
        Assert.Equal(HttpStatusCode.OK, await PutFilterAsync(net.B, net.A.Id, ["CC-BY-SA-4.0"]));
        Assert.Equal(shareAlike.PictureIds.ToHashSet(), await net.B.SearchIdsAsync(both));
        Assert.Equal(HttpStatusCode.OK, await PutFilterAsync(net.B, net.A.Id, null));
    }

    [Fact]
    public async Task C_filters_an_origin_it_only_knows_through_B()
    {
        var shareAlike = await PublishOnAAsync(3.9001, 43.6301, "CC-BY-SA-4.0");
        var cc0 = await PublishOnAAsync(3.9003, 43.6303, "CC0-1.0");
        var both = shareAlike.PictureIds.Concat(cc0.PictureIds).ToList();
        await Network.WaitUntilAsync(async () => (await net.C.SearchIdsAsync(both)).Count == 4, "C shows both sequences of A, relayed by B");

        using var admin = await TestAuth.AdminAsync(net.C);
        var origins = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/origins")).RootElement.GetProperty("origins").EnumerateArray().ToList();
        Assert.Equal("relayed", origins.Single(o => o.GetProperty("id").GetGuid() == net.A.Id).GetProperty("kind").GetString());
        Assert.Equal("peer", origins.Single(o => o.GetProperty("id").GetGuid() == net.B.Id).GetProperty("kind").GetString());

        Assert.Equal(HttpStatusCode.OK, await PutFilterAsync(net.C, net.A.Id, ["CC0-1.0"]));
        Assert.Equal(cc0.PictureIds.ToHashSet(), await net.C.SearchIdsAsync(both));
        // B, which set no filter, is unaffected.
        Assert.Equal(both.ToHashSet(), await net.B.SearchIdsAsync(both));
        Assert.Equal(HttpStatusCode.OK, await PutFilterAsync(net.C, net.A.Id, null));
        Assert.Equal(both.ToHashSet(), await net.C.SearchIdsAsync(both));
    }
}
