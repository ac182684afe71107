using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Reconcile;
using Panoramax.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;
using EntityKind = Panoramax.Domain.Federation.EntityKind;

namespace Panoramax.FederationTests;

/// <summary>Reconcile (federation-spec §7.1): range digests find divergence, only the differing ranges are fetched and repaired.</summary>
public sealed class ReconcileTests(HostileNetwork net, ITestOutputHelper output) : IClassFixture<HostileNetwork>
{
    private static readonly DateTimeOffset Day = new(2024, 10, 1, 8, 0, 0, TimeSpan.Zero);
    private FederatedInstance A => net.A;
    private FederatedInstance B => net.B;

    private static async Task<JsonElement> ReconcileAsync(FederatedInstance on, Guid peer)
    {
        using var admin = await TestAuth.AdminAsync(on);
        using var response = await admin.PostAsync($"/api/admin/peers/{peer}/reconcile", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string? ErrorOf(JsonElement report) =>
        report.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>(id, version, status) of every picture of A's origin that <paramref name="on"/> shows as public.</summary>
    private Task<HashSet<string>> PublicPicturesAsync(FederatedInstance on) => RowsAsync(on, """
        SELECT string_agg(id::text || ':' || version || ':' || status::text, ',') FROM pictures
        WHERE origin_instance_id = @o AND status = 'ready' AND visibility = 'anyone' AND deleted_at IS NULL
        """);

    private async Task<HashSet<string>> RowsAsync(FederatedInstance on, string sql) =>
        [.. ((await on.ScalarAsync<string>(sql, ("o", A.Id))) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)];

    [Fact]
    public async Task Injected_divergence_is_found_by_range_digests_and_repaired()
    {
        var sequences = new List<SeededSequence>();
        for (var i = 0; i < 4; i++)
        {
            sequences.Add(await A.PublishAsync(TestData.Walk(2.0 + i, 48.0, Day.AddDays(i), 250), title: $"long walk {i}"));
        }
        var aMax = await A.ScalarAsync<long>("SELECT last_seq FROM instances WHERE is_self");
        await Network.WaitUntilAsync(async () => await A.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE sealed_at IS NULL") == 0
            && await B.ScalarAsync<long>("SELECT last_seq FROM instances WHERE id = @o", ("o", A.Id)) >= aMax, "B holds all of A's log", 120);
        var logSize = await B.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", A.Id));
        Assert.True(logSize >= 1000, $"A's log holds {logSize} entries");
        Assert.Equal(await PublicPicturesAsync(A), await PublicPicturesAsync(B));

        // Divergence injected behind the protocol's back: a lost picture, a stale one, a wrongly deleted one, a lost log entry.
        var (lost, stale, wronglyDeleted, unlogged) = (sequences[0].PictureIds[10], sequences[1].PictureIds[100], sequences[2].PictureIds[200], sequences[3].PictureIds[50]);
        await B.ScalarAsync<int>("DELETE FROM pictures WHERE id = @id", ("id", lost));
        await B.ScalarAsync<int>("UPDATE pictures SET version = 0 WHERE id = @id", ("id", stale));
        await B.ScalarAsync<int>("UPDATE pictures SET status = 'deleted', deleted_at = now() WHERE id = @id", ("id", wronglyDeleted));
        var unloggedSeq = await B.ScalarAsync<long>("SELECT seq FROM change_log WHERE entity_id = @id", ("id", unlogged));
        await B.ScalarAsync<int>("DELETE FROM change_log WHERE origin_instance_id = @o AND seq = @s", ("o", A.Id), ("s", unloggedSeq));
        Assert.NotEqual(await PublicPicturesAsync(A), await PublicPicturesAsync(B));

        var report = await ReconcileAsync(B, A.Id);
        Assert.True(ErrorOf(report) is null, report.ToString());
        Assert.True(report.GetProperty("differing_ranges").GetInt32() >= 4, report.ToString());
        Assert.Equal(4, report.GetProperty("records_repaired").GetInt32());
        Assert.Empty(report.GetProperty("unrepairable_ranges").EnumerateArray());
        // No full copy: only the few small ranges around the four divergent seqs were fetched.
        var fetched = report.GetProperty("entries_fetched").GetInt64();
        output.WriteLine($"log of {logSize} entries, 4 divergences: {report}");
        Assert.InRange(fetched, 4, logSize / 3);

        Assert.Equal(await PublicPicturesAsync(A), await PublicPicturesAsync(B));
        Assert.Equal(logSize, await B.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", A.Id)));
        Assert.Equal(4, (await B.SearchIdsAsync([lost, stale, wronglyDeleted, unlogged])).Count);

        var again = await ReconcileAsync(B, A.Id);
        output.WriteLine($"second run: {again}");
        Assert.Equal(0, again.GetProperty("differing_ranges").GetInt32());
        Assert.Equal(0, again.GetProperty("entries_fetched").GetInt64());
        Assert.True(again.GetProperty("ranges_compared").GetInt32() > 0);
    }

    [Fact]
    public async Task Tampered_segment_from_a_hostile_peer_is_refused_and_nothing_is_repaired()
    {
        var mallory = net.Mallory;
        var accounts = Enumerable.Range(0, 3).Select(_ => Guid.CreateVersion7()).ToList();
        Assert.Equal(0L, await B.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", mallory.Id)));
        var honest = HostilePeer.Chain(mallory.Id, mallory.Key, [.. accounts.Select((a, i) => (EntityKind.Account, a, (string?)HostilePeer.AccountPayload(a, $"mallory-{i}")))]);
        var log = honest;
        mallory.AnnouncedMaxSeq = log.Count;
        mallory.Feed = r => [.. log.Where(e => e.Seq > r.SinceSeq).Take(r.MaxEntries == 0 ? int.MaxValue : (int)r.MaxEntries)];
        mallory.Digests = r => HonestDigests(log, r);
        Assert.Null((await B.SyncWithAsync(mallory.Id)).Error);
        Assert.Equal(3L, await B.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE id = ANY(@ids)", ("ids", accounts.ToArray())));

        // B loses an account; Mallory answers the digests honestly but serves a tampered copy of the range.
        await B.ScalarAsync<int>("DELETE FROM accounts WHERE id = @id", ("id", accounts[1]));
        var rejectedBefore = await B.ScalarAsync<long>("SELECT rejected_entries FROM instances WHERE id = @id", ("id", mallory.Id));
        var tampered = honest.Select(e => e.Clone()).ToList();
        tampered[1].Payload = ByteString.CopyFromUtf8(HostilePeer.AccountPayload(accounts[1], "evil!!!!"));
        // A fork: validly signed by the origin, but not the history B holds.
        var fork = HostilePeer.Chain(mallory.Id, mallory.Key, [.. accounts.Select((a, i) => (EntityKind.Account, a, (string?)HostilePeer.AccountPayload(a, $"forked-{i}")))]);
        foreach (var (served, why) in new[] { (tampered, "PayloadHashMismatch"), (fork, "ChainBroken") })
        {
            mallory.Feed = r => [.. served.Where(e => e.Seq > r.SinceSeq).Take(r.MaxEntries == 0 ? int.MaxValue : (int)r.MaxEntries)];
            var report = await ReconcileAsync(B, mallory.Id);
            Assert.Contains(why, ErrorOf(report), StringComparison.Ordinal);
            // The refused run is stored with its error (the admin page shows it after a restart too).
            using (var admin = await TestAuth.AdminAsync(B))
            {
                var stored = JsonDocument.Parse(await admin.GetStringAsync($"/api/admin/peers/{mallory.Id}/reconcile")).RootElement;
                Assert.Contains(why, ErrorOf(stored), StringComparison.Ordinal);
                Assert.Single(stored.GetProperty("unrepairable_ranges").EnumerateArray());
            }
            Assert.Equal(0, report.GetProperty("records_repaired").GetInt32());
            Assert.Single(report.GetProperty("unrepairable_ranges").EnumerateArray());
            Assert.Equal(0L, await B.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE id = @id", ("id", accounts[1])));
            Assert.Equal(0L, await B.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE name LIKE 'forked-%' OR name LIKE 'evil%'"));
        }
        var status = (await B.WithAdminAsync(a => a.ListAsync(CancellationToken.None))).Single(p => p.Id == mallory.Id);
        Assert.Equal(rejectedBefore + 2, status.RejectedEntries);

        // The honest copy of the same range repairs it: the refusals were about the entries, nothing else.
        mallory.Feed = r => [.. log.Where(e => e.Seq > r.SinceSeq).Take(r.MaxEntries == 0 ? int.MaxValue : (int)r.MaxEntries)];
        var repaired = await ReconcileAsync(B, mallory.Id);
        Assert.True(ErrorOf(repaired) is null, repaired.ToString());
        Assert.Equal(1, repaired.GetProperty("records_repaired").GetInt32());
        Assert.Equal("mallory-1", await B.ScalarAsync<string>("SELECT name FROM accounts WHERE id = @id", ("id", accounts[1])));
    }

    [Fact]
    public async Task GetDigests_refuses_too_many_ranges_and_untrusted_callers()
    {
        var seq = await A.PublishAsync(TestData.Walk(3.0, 47.0, Day, 2), title: "digest me");
        await Network.WaitUntilAsync(async () => (await B.SearchIdsAsync(seq.PictureIds)).Count == 2, "A's log is sealed and B holds it");
        var channel = Grpc.Net.Client.GrpcChannel.ForAddress(A.GrpcUrl);
        using (channel)
        {
            var client = new Federation.Protocol.V1.Federation.FederationClient(channel);
            var request = new GetDigestsRequest { OriginId = A.Id.ToString() };
            request.Ranges.Add(new SeqRange { FromSeq = 1, ToSeq = 10 });
            var anonymous = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.GetDigestsAsync(request));
            Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, anonymous.StatusCode);
        }
        // B is trusted by A: 65 ranges are refused, 64 answered.
        var clients = B.Services.GetService(typeof(Panoramax.Federation.Sync.PeerClients)) as Panoramax.Federation.Sync.PeerClients;
        var peerClient = clients!.Client(A.GrpcUrl);
        var tooMany = new GetDigestsRequest { OriginId = A.Id.ToString() };
        tooMany.Ranges.AddRange(Enumerable.Range(1, 65).Select(i => new SeqRange { FromSeq = i, ToSeq = i }));
        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await peerClient.GetDigestsAsync(tooMany, clients.Headers(B.Id, A.Id)));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        tooMany.Ranges.RemoveAt(64);
        var answer = await peerClient.GetDigestsAsync(tooMany, clients.Headers(B.Id, A.Id));
        Assert.Equal(64, answer.Digests.Count);
        Assert.All(answer.Digests, d => Assert.Equal(32, d.Digest.Length));
    }

    /// <summary>What an honest origin answers (spec §7.1), from the log it serves.</summary>
    private static GetDigestsResponse HonestDigests(List<ChangeEntry> log, GetDigestsRequest request)
    {
        var horizon = request.HorizonSeq == 0 ? log.Count : request.HorizonSeq;
        var visible = log.Where(e => e.Seq <= horizon).ToList();
        var newest = visible.GroupBy(e => (e.Kind, e.EntityId)).Select(g => g.MaxBy(e => e.Seq)!).ToHashSet();
        var response = new GetDigestsResponse();
        foreach (var r in request.Ranges)
        {
            var lines = visible.Where(e => e.Seq >= r.FromSeq && e.Seq <= r.ToSeq && newest.Contains(e))
                .Select(e => new DigestLine(e.Seq, (EntityKind)((int)e.Kind - 1), Guid.Parse(e.EntityId), e.EntityVersion, (byte)e.Op));
            var d = RangeDigestBuilder.Of(r.FromSeq, r.ToSeq, lines);
            response.Digests.Add(new RangeDigest { Range = r, Count = d.Count, Digest = ByteString.CopyFrom(d.Hash) });
        }
        return response;
    }
}
