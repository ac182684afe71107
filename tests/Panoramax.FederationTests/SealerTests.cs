using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Federation;
using Panoramax.Federation;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>One instance whose sealer works in small batches, so that a modest backlog spans several of them.</summary>
public sealed class SealerInstance : IAsyncLifetime
{
    public FederatedInstance A { get; } = new("sealer", [new("Panoramax:Federation:BatchSize", "100")]);

    public Task InitializeAsync() => A.InitializeAsync();

    public Task DisposeAsync() => A.DisposeAsync();
}

public sealed class SealerTests(SealerInstance fixture) : IClassFixture<SealerInstance>
{
    private static readonly DateTimeOffset Day = new(2024, 9, 1, 8, 0, 0, TimeSpan.Zero);
    private FederatedInstance A => fixture.A;

    [Fact]
    public async Task Batch_rendering_gives_the_same_bytes_and_versions_as_rendering_each_record_alone()
    {
        // A varied fixture: flat and 360° (tiled) pictures, no heading, no camera, tags; pictures hidden, not ready,
        // deleted or replicated; hidden, deleted and unpublished sequences; accounts; ids that do not exist.
        var flat = await TestData.SequenceAsync(A, A.AccountId,
        [
            new SeedPicture(3.0, 47.0, Day, 10) { Semantics = """[{"key": "osm|traffic_sign", "value": "yes"}]""" },
            new SeedPicture(3.0001, 47.0001, Day.AddSeconds(2)) { CameraMake = null, CameraModel = null },
            new SeedPicture(3.0002, 47.0002, Day.AddSeconds(4), 350.6) { CameraModel = "Other model" },
            new SeedPicture(3.0003, 47.0003, Day.AddSeconds(6), 20) { Visibility = "owner-only" },
            new SeedPicture(3.0004, 47.0004, Day.AddSeconds(8), 20) { Status = "waiting-for-process" },
            new SeedPicture(3.0005, 47.0005, Day.AddSeconds(10), 20),
            new SeedPicture(3.0006, 47.0006, Day.AddSeconds(12), 20),
        ], title: "varied flat walk", semantics: """[{"key": "weather", "value": "sunny"}]""");
        var spherical = await TestData.SequenceAsync(A, A.AccountId, TestData.Walk(3.1, 47.1, Day.AddHours(1), 3, kind: "equirectangular"), title: "360 walk");
        var hiddenSeq = await TestData.SequenceAsync(A, A.AccountId, TestData.Walk(3.2, 47.2, Day.AddHours(2), 2), title: "hidden walk", visibility: "owner-only");
        var deletedSeq = await TestData.SequenceAsync(A, A.AccountId, TestData.Walk(3.3, 47.3, Day.AddHours(3), 2), title: "deleted walk");
        var unpublishedSeq = await TestData.SequenceAsync(A, A.AccountId, TestData.Walk(3.4, 47.4, Day.AddHours(4), 2), title: "unpublished walk", status: "waiting-for-process");
        var other = await TestData.AccountAsync(A, "another photographer");
        var otherSeq = await TestData.SequenceAsync(A, other, TestData.Walk(3.5, 47.5, Day.AddHours(5), 2), title: "someone else's walk");
        await A.ChangeAsync(EntityKind.Picture, flat.PictureIds[5], ChangeOp.Tombstone, "UPDATE pictures SET deleted_at = now(), status = 'deleted', version = version + 1 WHERE id = @id");
        await A.ChangeAsync(EntityKind.Picture, flat.PictureIds[6], ChangeOp.Upsert,
            """UPDATE pictures SET remote_assets = '{{"hd": "https://elsewhere.example/hd.jpg"}}'::jsonb, version = version + 2 WHERE id = @id""");
        await A.ChangeAsync(EntityKind.Sequence, deletedSeq.Id, ChangeOp.Tombstone, "UPDATE sequences SET deleted_at = now(), status = 'deleted', version = version + 1 WHERE id = @id");
        await A.ChangeAsync(EntityKind.Sequence, flat.Id, ChangeOp.Upsert, "UPDATE sequences SET version = version + 3 WHERE id = @id");

        var requests = new List<RenderRequest>();
        foreach (var seq in new[] { flat, spherical, hiddenSeq, deletedSeq, unpublishedSeq, otherSeq })
        {
            requests.Add(new(EntityKind.Sequence, seq.Id));
            requests.AddRange(seq.PictureIds.Select(p => new RenderRequest(EntityKind.Picture, p)));
        }
        requests.AddRange([
            new(EntityKind.Account, A.AccountId), new(EntityKind.Account, other), new(EntityKind.Account, Guid.NewGuid()),
            new(EntityKind.Picture, Guid.NewGuid()), new(EntityKind.Sequence, Guid.NewGuid()),
            // The same record twice in a batch (written twice before the sealer ran).
            new(EntityKind.Picture, flat.PictureIds[0]), new(EntityKind.Sequence, flat.Id),
        ]);
        // Kinds interleaved, not grouped: the batch must keep the order asked for.
        requests = [.. requests.OrderBy(r => r.Id)];

        var renderer = A.Services.GetRequiredService<IPayloadRenderer>();
        var batch = await renderer.RenderManyAsync(requests, CancellationToken.None);

        Assert.Equal(requests.Count, batch.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var alone = await renderer.RenderAsync(requests[i].Kind, requests[i].Id, CancellationToken.None);
            Assert.True(alone.Json == batch[i].Json, $"{requests[i]}: batch payload differs\n{batch[i].Json}\nvs\n{alone.Json}");
            Assert.True(alone.Version == batch[i].Version, $"{requests[i]}: version {batch[i].Version} in the batch, {alone.Version} alone");
        }

        // The fixture does exercise both outcomes: public records render, the others are tombstones with their version.
        RenderedPayload Of(EntityKind kind, Guid id) => batch[requests.IndexOf(new RenderRequest(kind, id))];
        Assert.Contains("Other model", Of(EntityKind.Picture, flat.PictureIds[2]).Json, StringComparison.Ordinal);
        Assert.Contains("tiled-assets", Of(EntityKind.Picture, spherical.PictureIds[0]).Json, StringComparison.Ordinal);
        Assert.Contains("varied flat walk", Of(EntityKind.Sequence, flat.Id).Json, StringComparison.Ordinal);
        Assert.True(Of(EntityKind.Sequence, flat.Id).Version >= 4);
        Assert.Contains("another photographer", Of(EntityKind.Account, other).Json, StringComparison.Ordinal);
        foreach (var hidden in new[] { flat.PictureIds[3], flat.PictureIds[4], flat.PictureIds[5], hiddenSeq.PictureIds[0], deletedSeq.PictureIds[0], unpublishedSeq.PictureIds[0] })
        {
            Assert.Null(Of(EntityKind.Picture, hidden).Json);
            Assert.True(Of(EntityKind.Picture, hidden).Version >= 1);
        }
        Assert.Equal(new RenderedPayload(null, 3), Of(EntityKind.Picture, flat.PictureIds[6]));
        Assert.Null(Of(EntityKind.Sequence, deletedSeq.Id).Json);
        Assert.True(Of(EntityKind.Sequence, deletedSeq.Id).Version >= 2);
        Assert.Null(Of(EntityKind.Sequence, hiddenSeq.Id).Json);
        Assert.Null(Of(EntityKind.Sequence, unpublishedSeq.Id).Json);
    }

    [Fact]
    public async Task A_backlog_sealed_over_several_batches_is_one_gap_free_chain_that_a_peer_verifies()
    {
        // 5 sequences × 70 pictures + their sequences: 355 entries, batches of 100, a checkpoint every 256.
        for (var i = 0; i < 5; i++)
        {
            await A.PublishAsync(TestData.Walk(4.0 + (i * 0.01), 48.0, Day.AddDays(i), 70), title: $"backlog walk {i}");
        }
        await Network.WaitUntilAsync(async () => await A.ScalarAsync<long>(
            "SELECT count(*) FROM change_log c JOIN instances i ON i.id = c.origin_instance_id WHERE i.is_self AND c.sealed_at IS NULL") == 0,
            "the sealer seals the backlog");

        List<ChangeLogEntry> entries;
        var (scope, db) = A.OpenDb();
        await using (scope)
        {
            entries = await db.ChangeLog.AsNoTracking().Where(e => e.OriginInstanceId == A.Id).OrderBy(e => e.Seq).ToListAsync();
        }
        Assert.True(entries.Count >= 355, $"only {entries.Count} entries");
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Seq));

        // What a receiving peer runs on the stream: gap-free seq, payload hashes, chain, checkpoint signatures.
        var verifier = new ChainVerifier(A.Id, A.Services.GetRequiredService<InstanceKeyStore>().PublicKey, 0, null);
        var released = 0;
        foreach (var e in entries)
        {
            var (reject, done) = verifier.Offer(WireEntries.ToWire(e));
            Assert.True(reject is null, $"entry {e.Seq} refused: {reject}");
            released += done.Count;
        }
        Assert.Equal(entries.Count, released);
        Assert.All(entries.Where(e => e.Seq % 256 == 0), e => Assert.NotNull(e.Signature));

        // Each payload is the record's rendering as it stands (nothing changed since sealing).
        var renderer = A.Services.GetRequiredService<IPayloadRenderer>();
        foreach (var e in entries.Where(e => e.Payload is not null && e.Payload.Contains("backlog walk 3", StringComparison.Ordinal)))
        {
            Assert.Equal((await renderer.RenderAsync(e.EntityKind, e.EntityId, CancellationToken.None)).Json, e.Payload);
        }
    }
}
