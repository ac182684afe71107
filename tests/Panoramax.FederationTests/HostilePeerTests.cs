using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Protocol.V1;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;
using EntityKind = Panoramax.Domain.Federation.EntityKind;
using Panoramax.Federation.Peers;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>A and B trust each other; B has also confirmed a peer that turns out to be hostile.</summary>
public sealed class HostileNetwork : IAsyncLifetime
{
    public FederatedInstance A { get; } = new("alpha");
    public FederatedInstance B { get; } = new("bravo");
    public HostilePeer Mallory { get; } = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(A.InitializeAsync(), B.InitializeAsync(), Mallory.StartAsync());
        await Network.ConnectAsync(B, A);
        var added = await B.WithAdminAsync(a => a.AddAsync(Mallory.Url, CancellationToken.None));
        Assert.Equal(Mallory.Id, added.Id);
        await B.WithAdminAsync(a => a.ConfirmAsync(Mallory.Id, CancellationToken.None));
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(A.DisposeAsync(), B.DisposeAsync());
        await Mallory.DisposeAsync();
    }
}

public sealed class HostilePeerTests(HostileNetwork net) : IClassFixture<HostileNetwork>
{
    private FederatedInstance B => net.B;
    private HostilePeer Mallory => net.Mallory;

    private async Task<(long Rejected, string? Error)> StatusAsync()
    {
        var peers = await B.WithAdminAsync(a => a.ListAsync(CancellationToken.None));
        var m = peers.Single(p => p.Id == Mallory.Id);
        return (m.RejectedEntries, m.LastError);
    }

    private Task<long> MalloryEntriesOnBAsync() => B.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", Mallory.Id));

    /// <summary>Serves <paramref name="entries"/> above what B holds, syncs, and returns the outcome with the rejection delta.</summary>
    private async Task<(long RejectedDelta, string? Error, long AppliedBefore, long AppliedAfter)> ServeAsync(Func<long, List<ChangeEntry>> entries, long announcedMax)
    {
        var before = await MalloryEntriesOnBAsync();
        var (rejectedBefore, _) = await StatusAsync();
        Mallory.AnnouncedMaxSeq = announcedMax;
        Mallory.Feed = r => entries(r.SinceSeq);
        var outcome = await B.SyncWithAsync(Mallory.Id);
        var (rejectedAfter, error) = await StatusAsync();
        return (rejectedAfter - rejectedBefore, outcome.Error ?? error, before, await MalloryEntriesOnBAsync());
    }

    [Fact]
    public async Task Forged_tampered_replayed_and_wrong_origin_entries_are_rejected_counted_and_not_applied()
    {
        using var forger = InstanceKeyStore.FromSeed(new byte[32]);
        var account = Guid.CreateVersion7();
        var good = HostilePeer.Chain(Mallory.Id, Mallory.Key, [(EntityKind.Account, account, HostilePeer.AccountPayload(account, "mallory-user"))]);

        // Forged: signed by a key that is not Mallory's pinned key.
        var forged = await ServeAsync(_ => HostilePeer.Chain(Mallory.Id, forger, [(EntityKind.Account, account, HostilePeer.AccountPayload(account, "x"))]), 1);
        Assert.True(forged.RejectedDelta >= 1);
        Assert.Contains("BadSignature", forged.Error, StringComparison.Ordinal);
        Assert.Equal(forged.AppliedBefore, forged.AppliedAfter);

        // Tampered: a correctly signed entry whose payload was changed on the way.
        var tamperedEntries = HostilePeer.Chain(Mallory.Id, Mallory.Key, [(EntityKind.Account, account, HostilePeer.AccountPayload(account, "honest"))]);
        tamperedEntries[0].Payload = ByteString.CopyFromUtf8(HostilePeer.AccountPayload(account, "evil!!"));
        var tampered = await ServeAsync(_ => tamperedEntries, 1);
        Assert.True(tampered.RejectedDelta >= 1);
        Assert.Contains("PayloadHashMismatch", tampered.Error, StringComparison.Ordinal);
        Assert.Equal(0L, await B.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE id = @id", ("id", account)));

        // Wrong origin: an entry that names A as its origin inside Mallory's feed.
        var wrong = HostilePeer.Chain(net.A.Id, Mallory.Key, [(EntityKind.Account, account, HostilePeer.AccountPayload(account, "x"))]);
        var wrongOrigin = await ServeAsync(_ => wrong, 1);
        Assert.Contains("WrongOrigin", wrongOrigin.Error, StringComparison.Ordinal);
        Assert.Equal(wrongOrigin.AppliedBefore, wrongOrigin.AppliedAfter);

        // A good entry is applied...
        var ok = await ServeAsync(since => since == 0 ? good : [], 1);
        Assert.Null(ok.Error);
        Assert.Equal(ok.AppliedBefore + 1, ok.AppliedAfter);
        Assert.Equal("mallory-user", await B.ScalarAsync<string>("SELECT name FROM accounts WHERE id = @id", ("id", account)));

        // ...and replaying it (Mallory ignores since_seq and announces more) is refused.
        var replay = await ServeAsync(_ => good, 2);
        Assert.True(replay.RejectedDelta >= 1);
        Assert.Contains("Replay", replay.Error, StringComparison.Ordinal);
        Assert.Equal(replay.AppliedBefore, replay.AppliedAfter);
    }

    [Fact]
    public async Task Validly_signed_entry_claiming_a_record_of_another_origin_is_refused()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(8.0, 44.0, new DateTimeOffset(2024, 9, 1, 8, 0, 0, TimeSpan.Zero), 1), title: "A's own");
        await Network.WaitUntilAsync(async () => (await B.SearchIdsAsync(seq.PictureIds)).Count == 1, "B has A's sequence");
        var held = await MalloryEntriesOnBAsync();
        var prev = held == 0 ? null : await B.ScalarAsync<byte[]>("SELECT entry_hash FROM change_log WHERE origin_instance_id = @o AND seq = @s", ("o", Mallory.Id), ("s", held));
        var claim = $$"""{"type":"Collection","id":"{{seq.Id}}","title":"pwned","providers":[{"name":"m","roles":["producer"],"id":"{{Guid.CreateVersion7()}}"}]}""";
        var entries = HostilePeer.Chain(Mallory.Id, Mallory.Key, [(EntityKind.Sequence, seq.Id, claim), (EntityKind.Picture, seq.PictureIds[0], null)], held + 1, prev);
        var result = await ServeAsync(since => since == held ? entries : [], held + 2);
        Assert.True(result.RejectedDelta >= 2);
        Assert.Equal("A's own", await B.ScalarAsync<string>("SELECT title FROM sequences WHERE id = @id", ("id", seq.Id)));
        Assert.Equal(net.A.Id, await B.ScalarAsync<Guid>("SELECT origin_instance_id FROM sequences WHERE id = @id", ("id", seq.Id)));
        Assert.Single(await B.SearchIdsAsync(seq.PictureIds));
    }

    [Fact]
    public async Task Live_search_items_of_a_peer_that_are_not_one_JSON_object_each_are_dropped_and_the_answer_stays_valid()
    {
        var (good, trailing) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        static ByteString Bytes(string json) => ByteString.CopyFromUtf8(json);
        Mallory.SearchAnswer = _ => new SearchResponse
        {
            Items =
            {
                Bytes($$"""{"type":"Feature","id":"{{good}}","properties":{ } }"""),
                // One object followed by more: written as it came, it would break (or add members to) our answer.
                Bytes($$"""{"type":"Feature","id":"{{trailing}}"} ,{"type":"Feature","id":"{{Guid.CreateVersion7()}}"}"""),
                Bytes("[1,2,3]"),
                Bytes("not json at all"),
                Bytes($$"""{"type":"Feature","id":"{{good}}","properties":{"again":true} }"""),
            },
        };
        try
        {
            using var response = await B.Http.GetAsync($"/api/search?federated=live&ids={good},{trailing}");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            using var answer = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var ids = answer.RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
            Assert.Equal([good.ToString()], ids);
        }
        finally
        {
            Mallory.SearchAnswer = null;
        }
    }

    [Fact]
    public async Task Adding_a_peer_whose_Hello_says_nothing_or_nonsense_is_refused_with_the_reason()
    {
        await using var silent = new HostilePeer { HelloAnswer = () => new HelloResponse() };
        await silent.StartAsync();
        var nobody = await Assert.ThrowsAsync<PeerUnreachableException>(() => B.WithAdminAsync(a => a.AddAsync(silent.Url, CancellationToken.None)));
        Assert.Contains("without saying who it is", nobody.Message, StringComparison.Ordinal);

        await using var garbled = new HostilePeer();
        garbled.HelloAnswer = () => new HelloResponse
        {
            Instance = new InstanceInfo
            {
                InstanceId = garbled.Id.ToString(), Name = "gar\0bled", PublicKey = ByteString.CopyFrom(garbled.Key.PublicKey), ProtocolVersion = 1,
            },
        };
        await garbled.StartAsync();
        var nonsense = await Assert.ThrowsAsync<ArgumentException>(() => B.WithAdminAsync(a => a.AddAsync(garbled.Url, CancellationToken.None)));
        Assert.Contains("control character", nonsense.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await B.WithAdminAsync(a => a.ListAsync(CancellationToken.None)), p => p.Id == garbled.Id);
    }

    [Fact]
    public async Task Unknown_pending_and_tokenless_callers_are_denied()
    {
        using var channel = GrpcChannel.ForAddress(net.A.GrpcUrl);
        var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
        var request = new GetChangesRequest { OriginId = net.A.Id.ToString() };

        var none = await Assert.ThrowsAsync<RpcException>(async () => await Drain(client.GetChanges(request)));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);

        using var stranger = InstanceKeyStore.FromSeed(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var strangerId = Guid.CreateVersion7();
        Metadata Token() => new() { { CallToken.MetadataKey, CallToken.Create(stranger, strangerId, net.A.Id, TimeProvider.System.GetUtcNow()) } };
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await Drain(client.GetChanges(request, Token())));
        Assert.Equal(StatusCode.PermissionDenied, unknown.StatusCode);

        // Saying Hello makes it known, but only as pending: still no feed, and A's admin sees it waiting.
        await client.HelloAsync(new HelloRequest
        {
            Caller = new InstanceInfo { InstanceId = strangerId.ToString(), Name = "stranger", PublicKey = ByteString.CopyFrom(stranger.PublicKey), ProtocolVersion = 1 },
        }, Token());
        var pending = await Assert.ThrowsAsync<RpcException>(async () => await Drain(client.GetChanges(request, Token())));
        Assert.Equal(StatusCode.PermissionDenied, pending.StatusCode);
        Assert.Contains(await net.A.WithAdminAsync(a => a.ListAsync(CancellationToken.None)), p => p.Id == strangerId && p.Trust == "pending");

        // Blocked: even Hello is refused.
        await net.A.WithAdminAsync(a => a.BlockAsync(strangerId, CancellationToken.None));
        var blocked = await Assert.ThrowsAsync<RpcException>(async () => await client.HelloAsync(new HelloRequest
        {
            Caller = new InstanceInfo { InstanceId = strangerId.ToString(), Name = "stranger", PublicKey = ByteString.CopyFrom(stranger.PublicKey), ProtocolVersion = 1 },
        }, Token()));
        Assert.Equal(StatusCode.PermissionDenied, blocked.StatusCode);
    }

    private static async Task Drain(AsyncServerStreamingCall<ChangeEntry> call)
    {
        using (call)
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        }
    }
}
