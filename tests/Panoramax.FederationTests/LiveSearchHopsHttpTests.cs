using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>
/// A—B—C (A and C do not know each other) and A—B—C—A, with a deadline generous enough for a busy test machine: hops
/// on a cold instance must not turn into timeouts. Pictures are written without change entries, so they are never
/// replicated and only the live fan-out can find them from another instance.
/// </summary>
public sealed class HopsNetworks : IAsyncLifetime
{
    private static readonly KeyValuePair<string, string>[] Settings = [new("Panoramax:Federation:SearchDeadline", "00:00:06")];

    public FederatedInstance A { get; } = new("alpha", Settings);
    public FederatedInstance B { get; } = new("bravo", Settings);
    public FederatedInstance C { get; } = new("charlie", Settings);
    // The cycle: X—Y—Z—X.
    public FederatedInstance X { get; } = new("xray", Settings);
    public FederatedInstance Y { get; } = new("yankee", Settings);
    public FederatedInstance Z { get; } = new("zulu", Settings);

    public async Task InitializeAsync()
    {
        await Task.WhenAll(A.InitializeAsync(), B.InitializeAsync(), C.InitializeAsync(), X.InitializeAsync(), Y.InitializeAsync(), Z.InitializeAsync());
        await Network.ConnectAsync(B, A);
        await Network.ConnectAsync(C, B);
        await Network.ConnectAsync(X, Y);
        await Network.ConnectAsync(Y, Z);
        await Network.ConnectAsync(Z, X);
        // Warm-up (JIT, connections) of every path, so that the tests meet no cold instance.
        foreach (var start in new[] { A, X })
        {
            using (await start.Http.GetAsync($"/api/search?federated=live&hops=3&ids={Guid.NewGuid()}"))
            {
            }
        }
    }

    public async Task DisposeAsync() =>
        await Task.WhenAll(A.DisposeAsync(), B.DisposeAsync(), C.DisposeAsync(), X.DisposeAsync(), Y.DisposeAsync(), Z.DisposeAsync());
}

/// <summary>The <c>hops</c> parameter of <c>/api/search?federated=live</c> over real HTTP and gRPC.</summary>
public sealed class LiveSearchHopsHttpTests(HopsNetworks net) : IClassFixture<HopsNetworks>
{
    private static readonly DateTimeOffset Day = new(2024, 9, 1, 8, 0, 0, TimeSpan.Zero);

    private static List<Guid> Ids(JsonElement answer) =>
        [.. answer.GetProperty("features").EnumerateArray().Select(f => Guid.Parse(f.GetProperty("id").GetString()!))];

    private static List<JsonElement> Peers(JsonElement answer) => [.. answer.GetProperty("federation").GetProperty("peers").EnumerateArray()];

    [Fact]
    public async Task Two_hops_on_A_find_pictures_only_the_peer_of_its_peer_holds_and_one_hop_does_not()
    {
        var onC = await TestData.SequenceAsync(net.C, net.C.AccountId, TestData.Walk(6.63, 46.52, Day, 2));
        var ids = string.Join(',', onC.PictureIds);
        Assert.Empty(await net.A.SearchIdsAsync(onC.PictureIds));
        Assert.Empty(await net.B.SearchIdsAsync(onC.PictureIds));

        var oneHop = await net.A.GetJsonAsync($"/api/search?federated=live&ids={ids}");
        var defaultHops = await net.A.GetJsonAsync($"/api/search?federated=live&hops=1&ids={ids}");
        var twoHops = await net.A.GetJsonAsync($"/api/search?federated=live&hops=2&ids={ids}");

        Assert.Empty(Ids(oneHop));
        Assert.Empty(Ids(defaultHops));
        Assert.Equal([net.B.Id.ToString()], Peers(oneHop).Select(p => p.GetProperty("instance_id").GetString()));
        Assert.Equal(onC.PictureIds.ToHashSet(), Ids(twoHops).ToHashSet());
        var hd = twoHops.GetProperty("features")[0].GetProperty("assets").GetProperty("hd").GetProperty("href").GetString()!;
        Assert.StartsWith(net.C.BaseUrl.ToString().TrimEnd('/'), hd, StringComparison.Ordinal);
        Assert.False(twoHops.GetProperty("federation").GetProperty("partial").GetBoolean(), twoHops.GetProperty("federation").ToString());
        // B was asked directly; C, reached through B, is reported as relayed.
        var peers = Peers(twoHops).ToDictionary(p => p.GetProperty("instance_id").GetString()!);
        Assert.Equal(new[] { net.B.Id.ToString(), net.C.Id.ToString() }.ToHashSet(), peers.Keys.ToHashSet());
        Assert.Equal("ok", peers[net.B.Id.ToString()].GetProperty("status").GetString());
        Assert.False(peers[net.B.Id.ToString()].GetProperty("relayed").GetBoolean());
        Assert.Equal("ok", peers[net.C.Id.ToString()].GetProperty("status").GetString());
        Assert.True(peers[net.C.Id.ToString()].GetProperty("relayed").GetBoolean());

        // The same through the POST body.
        using var posted = await net.A.Http.PostAsJsonAsync("/api/search", new { federated = "live", hops = 2, ids = onC.PictureIds });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal(onC.PictureIds.ToHashSet(), Ids(JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement).ToHashSet());
    }

    [Fact]
    public async Task Three_hops_around_a_cycle_return_every_picture_once_and_each_instance_once()
    {
        var onX = await TestData.SequenceAsync(net.X, net.X.AccountId, TestData.Walk(8.54, 47.37, Day, 2));
        var onY = await TestData.SequenceAsync(net.Y, net.Y.AccountId, TestData.Walk(8.5401, 47.3701, Day, 2));
        var onZ = await TestData.SequenceAsync(net.Z, net.Z.AccountId, TestData.Walk(8.5402, 47.3702, Day, 2));
        var all = onX.PictureIds.Concat(onY.PictureIds).Concat(onZ.PictureIds).ToList();

        foreach (var start in new[] { net.X, net.Y, net.Z })
        {
            var byIds = await start.GetJsonAsync($"/api/search?federated=live&hops=3&limit=100&ids={string.Join(',', all)}");
            var byArea = await start.GetJsonAsync("/api/search?federated=live&hops=3&limit=100&bbox=8.53,47.36,8.55,47.38");
            foreach (var answer in new[] { byIds, byArea })
            {
                var ids = Ids(answer);
                Assert.Equal(ids.Count, ids.Distinct().Count());
                Assert.Equal(all.ToHashSet(), ids.ToHashSet());
                // Each other instance once, never the instance that started the search.
                var peers = Peers(answer).Select(p => p.GetProperty("instance_id").GetString()!).ToList();
                Assert.Equal(peers.Count, peers.Distinct().Count());
                Assert.Equal(new[] { net.X, net.Y, net.Z }.Where(i => i != start).Select(i => i.Id.ToString()).ToHashSet(), peers.ToHashSet());
                Assert.All(Peers(answer), p => Assert.Equal("ok", p.GetProperty("status").GetString()));
            }
        }
    }

    [Theory]
    [InlineData("federated=live&hops=0")]
    [InlineData("federated=live&hops=4")]
    [InlineData("federated=live&hops=-1")]
    [InlineData("federated=live&hops=two")]
    [InlineData("federated=live&hops=1.5")]
    [InlineData("federated=live&hops=")]
    [InlineData("federated=live&hops=1&hops=2")]
    [InlineData("hops=2")]
    public async Task Bad_hops_values_get_an_actionable_400(string query)
    {
        using var response = await net.A.Http.GetAsync($"/api/search?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("application/", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        Assert.Contains("hops", body, StringComparison.Ordinal);
        Assert.Contains(query.StartsWith("hops", StringComparison.Ordinal) ? "federated=live" : "from 1 to 3", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"hops\": 4")]
    [InlineData("\"hops\": 2.5")]
    [InlineData("\"hops\": \"many\"")]
    [InlineData("\"hops\": [2]")]
    public async Task Bad_hops_in_the_POST_body_get_a_400(string member)
    {
        using var content = new StringContent($"{{\"federated\": \"live\", {member}}}", System.Text.Encoding.UTF8, "application/json");
        using var response = await net.A.Http.PostAsync("/api/search", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("hops", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
