using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>
/// A is trusted by B (alive), C (stopped after the handshake) and a "silent" peer whose port accepts connections and
/// never answers. B's pictures are written without change entries, so they are never replicated: only the live
/// fan-out can find them from A.
/// </summary>
public sealed class LiveSearchNetwork : IAsyncLifetime
{
    public FederatedInstance A { get; } = new("alpha");
    public FederatedInstance B { get; } = new("bravo");
    public FederatedInstance C { get; } = new("charlie");
    public Guid SilentId { get; } = Guid.CreateVersion7();
    public TimeSpan Deadline { get; } = TimeSpan.FromMilliseconds(1500);
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = [];
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(A.InitializeAsync(), B.InitializeAsync(), C.InitializeAsync());
        await Network.ConnectAsync(A, B);
        await Network.ConnectAsync(A, C);
        await C.DisposeAsync();

        _silent.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _silent.AcceptSocketAsync(_stop.Token);
                lock (_held)
                {
                    _held.Add(socket);
                }
            }
        });
        using var silentKey = InstanceKeyStore.FromSeed(new byte[32]);
        var (scope, db) = A.OpenDb();
        await using (scope)
        {
            var now = TimeProvider.System.GetUtcNow();
            db.Instances.Add(new Instance
            {
                Id = SilentId,
                Name = "silent",
                BaseUrl = "http://127.0.0.1:9",
                PublicKey = silentKey.PublicKey,
                IsPeer = true,
                Trust = PeerTrust.Trusted,
                FederationUrl = $"http://127.0.0.1:{((IPEndPoint)_silent.LocalEndpoint).Port}",
                CreatedAt = now,
                UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        // One live search before the tests: B's first Search call (JIT, pools) can take longer than the deadline on a
        // busy test machine, which would make whichever test comes first see B as "timeout".
        using (await A.Http.GetAsync($"/api/search?federated=live&ids={Guid.NewGuid()}"))
        {
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _silent.Stop();
        lock (_held)
        {
            _held.ForEach(s => s.Dispose());
        }
        _stop.Dispose();
        await Task.WhenAll(A.DisposeAsync(), B.DisposeAsync());
    }
}

public sealed class LiveSearchTests(LiveSearchNetwork net) : IClassFixture<LiveSearchNetwork>
{
    private static readonly DateTimeOffset Day = new(2024, 7, 1, 9, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, string> Statuses(JsonElement answer) =>
        answer.GetProperty("federation").GetProperty("peers").EnumerateArray()
            .ToDictionary(p => p.GetProperty("instance_id").GetString()!, p => p.GetProperty("status").GetString()!);

    private static HashSet<Guid> Ids(JsonElement answer) =>
        [.. answer.GetProperty("features").EnumerateArray().Select(f => Guid.Parse(f.GetProperty("id").GetString()!))];

    [Fact]
    public async Task Live_search_on_A_finds_pictures_only_B_holds_with_hrefs_to_B()
    {
        var seq = await TestData.SequenceAsync(net.B, net.B.AccountId, TestData.Walk(7.26, 43.70, Day, 2));
        Assert.Empty(await net.A.SearchIdsAsync(seq.PictureIds));

        var answer = await net.A.GetJsonAsync($"/api/search?federated=live&limit=50&ids={string.Join(',', seq.PictureIds)}");

        Assert.Equal(seq.PictureIds.ToHashSet(), Ids(answer));
        var hd = answer.GetProperty("features")[0].GetProperty("assets").GetProperty("hd").GetProperty("href").GetString()!;
        Assert.StartsWith(net.B.BaseUrl.ToString().TrimEnd('/'), hd, StringComparison.Ordinal);
        Assert.Equal("ok", Statuses(answer)[net.B.Id.ToString()]);
    }

    [Fact]
    public async Task Live_search_by_bbox_merges_local_and_peer_pictures_without_duplicates_and_respects_limit()
    {
        var onA = await TestData.SequenceAsync(net.A, net.A.AccountId, TestData.Walk(-1.55, 47.21, Day, 2));
        var onB = await TestData.SequenceAsync(net.B, net.B.AccountId, TestData.Walk(-1.5505, 47.2105, Day, 2));
        const string bbox = "-1.56,47.20,-1.54,47.22";

        var all = await net.A.GetJsonAsync($"/api/search?federated=live&limit=10&bbox={bbox}");
        var ids = all.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Superset(onA.PictureIds.Concat(onB.PictureIds).ToHashSet(), Ids(all));
        Assert.Equal(4, ids.Count);

        var three = await net.A.GetJsonAsync($"/api/search?federated=live&limit=3&bbox={bbox}");
        Assert.Equal(3, three.GetProperty("features").GetArrayLength());
        // Local pictures come first.
        var firstTwo = three.GetProperty("features").EnumerateArray().Take(2).Select(f => Guid.Parse(f.GetProperty("id").GetString()!)).ToHashSet();
        Assert.Equal(onA.PictureIds.ToHashSet(), firstTwo);

        var posted = await net.A.Http.PostAsJsonAsync("/api/search", new { federated = "live", limit = 10, ids = onB.PictureIds });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal(onB.PictureIds.ToHashSet(), Ids(JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement));
    }

    [Fact]
    public async Task Dead_and_silent_peers_cost_at_most_the_deadline_and_make_the_answer_partial()
    {
        var seq = await TestData.SequenceAsync(net.B, net.B.AccountId, TestData.Walk(4.83, 45.76, Day, 1));
        var url = $"/api/search?federated=live&ids={seq.PictureIds[0]}";
        using (await net.A.Http.GetAsync(url))
        {
            // Warm-up: JIT and connections, so the measure below is the deadline's, not the first call's.
        }

        // Best of three: the machine running the tests is shared, one slow run says little about the deadline.
        var best = TimeSpan.MaxValue;
        JsonElement answer = default;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await net.A.Http.GetAsync(url);
            clock.Stop();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            // Whatever the load, never anything like the 10 s call timeout of the sync calls.
            Assert.True(clock.Elapsed < net.Deadline + TimeSpan.FromSeconds(3), $"answered in {clock.ElapsedMilliseconds} ms");
            best = clock.Elapsed < best ? clock.Elapsed : best;
        }

        Assert.True(answer.GetProperty("federation").GetProperty("partial").GetBoolean());
        var statuses = Statuses(answer);
        Assert.Equal("ok", statuses[net.B.Id.ToString()]);
        Assert.Equal("unavailable", statuses[net.C.Id.ToString()]);
        Assert.Equal("timeout", statuses[net.SilentId.ToString()]);
        Assert.Equal([seq.PictureIds[0]], Ids(answer));
        // Deadline + 50 ms is the goal on a quiet machine (1508 ms measured); this one is shared, so the bound carries slack.
        Assert.True(best < net.Deadline + TimeSpan.FromMilliseconds(50 + 700),
            $"best answer in {best.TotalMilliseconds:F0} ms with a deadline of {net.Deadline.TotalMilliseconds} ms: {answer.GetProperty("federation")}");
        Console.WriteLine($"live search with a dead and a silent peer answered in {best.TotalMilliseconds:F0} ms at best (deadline {net.Deadline.TotalMilliseconds} ms)");
    }

    [Theory]
    [InlineData("owner-only")]
    [InlineData("logged-only")]
    public async Task Non_public_and_unready_pictures_never_travel_through_live_search(string visibility)
    {
        var hidden = await TestData.SequenceAsync(net.B, net.B.AccountId, TestData.Walk(2.0, 44.0, Day, 2), visibility: visibility);
        var mixed = await TestData.SequenceAsync(net.B, net.B.AccountId,
            [new SeedPicture(2.1, 44.1, Day) { Visibility = visibility }, new SeedPicture(2.1001, 44.1001, Day.AddSeconds(2)),
             new SeedPicture(2.1002, 44.1002, Day.AddSeconds(4)) { Status = "waiting-for-process" }]);
        var asked = hidden.PictureIds.Concat(mixed.PictureIds).ToList();

        var answer = await net.A.GetJsonAsync($"/api/search?federated=live&limit=100&ids={string.Join(',', asked)}");
        Assert.Equal([mixed.PictureIds[1]], Ids(answer));

        var byArea = await net.A.GetJsonAsync("/api/search?federated=live&limit=100&bbox=1.9,43.9,2.2,44.2");
        Assert.Equal([mixed.PictureIds[1]], Ids(byArea).Intersect(asked).ToHashSet());
    }

    [Fact]
    public async Task Untrusted_or_tokenless_caller_of_Search_is_denied()
    {
        using var channel = GrpcChannel.ForAddress(net.B.GrpcUrl);
        var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
        var request = new SearchRequest { RequestId = Guid.NewGuid().ToString(), HopsLeft = 1, Limit = 10 };

        var none = await Assert.ThrowsAsync<RpcException>(async () => await client.SearchAsync(request));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);

        using var stranger = InstanceKeyStore.FromSeed(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var token = new Metadata { { CallToken.MetadataKey, CallToken.Create(stranger, Guid.CreateVersion7(), net.B.Id, TimeProvider.System.GetUtcNow()) } };
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await client.SearchAsync(request, token));
        Assert.Equal(StatusCode.PermissionDenied, unknown.StatusCode);
    }

    [Fact]
    public async Task A_peer_asking_for_more_time_than_this_instance_gives_waits_at_most_its_own_deadline()
    {
        // B (trusted by A) asks A to relay with a minute and a thousand hops: A's silent peer must cost A's deadline only.
        using var channel = GrpcChannel.ForAddress(net.A.GrpcUrl);
        var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
        var bKey = net.B.Services.GetRequiredService<InstanceKeyStore>();
        var request = new SearchRequest { RequestId = Guid.NewGuid().ToString(), HopsLeft = 1000, DeadlineMs = 60_000, Limit = 10 };
        request.Ids.Add(Guid.NewGuid().ToString());
        var token = new Metadata { { CallToken.MetadataKey, CallToken.Create(bKey, net.B.Id, net.A.Id, TimeProvider.System.GetUtcNow()) } };

        var clock = Stopwatch.StartNew();
        var answer = await client.SearchAsync(request, token, deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(30));
        clock.Stop();

        Assert.True(answer.Partial);
        Assert.Contains(answer.Peers, p => p.InstanceId == net.SilentId.ToString() && p.Status == PeerSearchState.Timeout);
        Assert.True(clock.Elapsed < net.Deadline + TimeSpan.FromSeconds(3), $"answered in {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Hello_announces_the_search_capability()
    {
        using var channel = GrpcChannel.ForAddress(net.B.GrpcUrl);
        var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
        using var newcomer = InstanceKeyStore.FromSeed(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var id = Guid.CreateVersion7();
        var hello = await client.HelloAsync(new HelloRequest
        {
            Caller = new InstanceInfo { InstanceId = id.ToString(), Name = "newcomer", PublicKey = Google.Protobuf.ByteString.CopyFrom(newcomer.PublicKey), ProtocolVersion = 1 },
        }, new Metadata { { CallToken.MetadataKey, CallToken.Create(newcomer, id, net.B.Id, TimeProvider.System.GetUtcNow()) } });
        Assert.Contains("search.v1", hello.Instance.Capabilities);
    }

    [Theory]
    [InlineData("federated=everywhere")]
    [InlineData("federated=live&filter=type%3D%27flat%27")]
    [InlineData("federated=live&sortby=-ts")]
    public async Task Unsupported_live_search_requests_get_an_actionable_400(string query)
    {
        using var response = await net.A.Http.GetAsync($"/api/search?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("federated", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_without_federated_parameter_has_no_federation_member()
    {
        var answer = await net.A.GetJsonAsync("/api/search?limit=1");
        Assert.False(answer.TryGetProperty("federation", out _));
    }
}

/// <summary>Further hops on the A—B—C chain: A asks B with two hops, B asks C (never A back), once per request id.</summary>
public sealed class LiveSearchHopsTests(ChainNetwork net) : IClassFixture<ChainNetwork>
{
    [Fact]
    public async Task A_request_with_two_hops_reaches_the_peer_of_a_peer_once_per_request_id()
    {
        var onC = await TestData.SequenceAsync(net.C, net.C.AccountId, TestData.Walk(6.63, 46.52, new DateTimeOffset(2024, 8, 1, 8, 0, 0, TimeSpan.Zero), 1));
        var key = net.A.Services.GetRequiredService<InstanceKeyStore>();
        using var channel = GrpcChannel.ForAddress(net.B.GrpcUrl);
        var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
        var request = new SearchRequest { RequestId = Guid.NewGuid().ToString(), HopsLeft = 2, Limit = 10, DeadlineMs = 3000 };
        request.Ids.Add(onC.PictureIds[0].ToString());
        Metadata Token() => new() { { CallToken.MetadataKey, CallToken.Create(key, net.A.Id, net.B.Id, TimeProvider.System.GetUtcNow()) } };

        var first = await client.SearchAsync(request, Token());
        Assert.Single(first.Items);
        Assert.Contains(onC.PictureIds[0].ToString(), first.Items[0].ToStringUtf8(), StringComparison.Ordinal);
        var asked = Assert.Single(first.Peers);
        Assert.Equal(net.C.Id.ToString(), asked.InstanceId);
        Assert.Equal(PeerSearchState.Ok, asked.Status);
        Assert.False(first.Partial);

        // The same request id again (a loop bringing it back): B answers from its own data only.
        var again = await client.SearchAsync(request, Token());
        Assert.Empty(again.Items);
        Assert.Empty(again.Peers);

        // One hop: B's own data only.
        request.RequestId = Guid.NewGuid().ToString();
        request.HopsLeft = 1;
        var oneHop = await client.SearchAsync(request, Token());
        Assert.Empty(oneHop.Items);
        Assert.Empty(oneHop.Peers);
    }

    [Theory]
    [InlineData("not-a-uuid", 10u)]
    [InlineData("", 10u)]
    [InlineData(null, 20000u)]
    public async Task Malformed_search_requests_are_invalid_arguments(string? requestId, uint limit)
    {
        var key = net.A.Services.GetRequiredService<InstanceKeyStore>();
        using var channel = GrpcChannel.ForAddress(net.B.GrpcUrl);
        var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
        var request = new SearchRequest { RequestId = requestId ?? Guid.NewGuid().ToString(), Limit = limit };
        var token = new Metadata { { CallToken.MetadataKey, CallToken.Create(key, net.A.Id, net.B.Id, TimeProvider.System.GetUtcNow()) } };
        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.SearchAsync(request, token));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }
}
