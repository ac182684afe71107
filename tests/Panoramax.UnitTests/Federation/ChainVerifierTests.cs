using Google.Protobuf;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Signing;
using ChangeEntry = Panoramax.Federation.Protocol.V1.ChangeEntry;
using WireOp = Panoramax.Federation.Protocol.V1.ChangeOp;

namespace Panoramax.UnitTests.Federation;

public sealed class ChainVerifierTests : IDisposable
{
    private readonly InstanceKeyStore _key = InstanceKeyStore.FromSeed(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private readonly InstanceKeyStore _forger = InstanceKeyStore.FromSeed(Enumerable.Range(2, 32).Select(i => (byte)i).ToArray());
    private readonly Guid _origin = Guid.CreateVersion7();

    public void Dispose()
    {
        _key.Dispose();
        _forger.Dispose();
    }

    /// <summary>A well-formed feed of <paramref name="count"/> entries, checkpoints at <paramref name="checkpointEvery"/> and at the end.</summary>
    private List<ChangeEntry> Feed(int count, int checkpointEvery = 3, InstanceKeyStore? signer = null, Guid? origin = null)
    {
        var o = origin ?? _origin;
        var prev = new byte[32];
        var list = new List<ChangeEntry>();
        for (var seq = 1; seq <= count; seq++)
        {
            var tombstone = seq % 4 == 0;
            var payload = tombstone ? null : $$"""{"id":"{{seq}}"}""";
            var e = new ChangeLogEntry
            {
                OriginInstanceId = o,
                Seq = seq,
                EntityKind = EntityKind.Picture,
                EntityId = Guid.CreateVersion7(),
                Op = tombstone ? ChangeOp.Tombstone : ChangeOp.Upsert,
                EntityVersion = seq,
                CreatedAt = DateTimeOffset.UnixEpoch.AddDays(20000).AddSeconds(seq),
                Payload = payload,
                PayloadHash = tombstone ? null : FeedCrypto.PayloadHash(payload),
                PrevHash = prev,
            };
            var hash = FeedCrypto.EntryHash(o, seq, e.EntityKind, e.EntityId, e.Op, e.EntityVersion, FeedCrypto.ToUnixMicros(e.CreatedAt),
                e.PayloadHash ?? new byte[32], prev);
            if (seq % checkpointEvery == 0 || seq == count)
            {
                e.Signature = (signer ?? _key).Sign(FeedCrypto.CheckpointBytes(o, seq, hash));
            }
            list.Add(WireEntries.ToWire(e));
            prev = hash;
        }
        return list;
    }

    private (RejectReason? Reject, int Released) Run(IEnumerable<ChangeEntry> entries, long lastSeq = 0, byte[]? lastHash = null, bool snapshot = false)
    {
        var v = new ChainVerifier(_origin, _key.PublicKey, lastSeq, lastHash, allowPruned: snapshot);
        var released = 0;
        foreach (var e in entries)
        {
            var (reject, r) = v.Offer(e);
            if (reject is not null)
            {
                return (reject, released);
            }
            released += r.Count;
        }
        return (null, released);
    }

    [Fact]
    public void Well_formed_feed_is_released_at_checkpoints()
    {
        var v = new ChainVerifier(_origin, _key.PublicKey, 0, null);
        var feed = Feed(7);
        Assert.Empty(v.Offer(feed[0]).Released);
        Assert.Empty(v.Offer(feed[1]).Released);
        Assert.Equal(3, v.Offer(feed[2]).Released.Count);
        Assert.Equal((null, 7), Run(feed));
    }

    [Fact]
    public void Forged_signature_is_rejected_and_nothing_released()
    {
        Assert.Equal((RejectReason.BadSignature, 0), Run(Feed(3, signer: _forger)));
    }

    [Fact]
    public void Tampered_payload_is_rejected()
    {
        var feed = Feed(3);
        feed[1].Payload = ByteString.CopyFromUtf8("""{"id":"evil"}""");
        Assert.Equal(RejectReason.PayloadHashMismatch, Run(feed).Reject);
    }

    [Fact]
    public void Tampered_payload_with_recomputed_hash_breaks_the_chain()
    {
        var feed = Feed(3);
        feed[1].Payload = ByteString.CopyFromUtf8("""{"id":"evil"}""");
        feed[1].PayloadHash = ByteString.CopyFrom(FeedCrypto.PayloadHash(feed[1].Payload.Span));
        // Entry 2 itself passes, but entry 3's prev_hash no longer matches, so nothing is released.
        Assert.Equal((RejectReason.ChainBroken, 0), Run(feed));
    }

    [Fact]
    public void Tampered_fields_of_a_checkpoint_fail_its_signature()
    {
        var feed = Feed(3);
        feed[2].EntityVersion = 99;
        Assert.Equal((RejectReason.BadSignature, 0), Run(feed));
    }

    [Fact]
    public void Reordered_entries_are_a_gap()
    {
        var feed = Feed(3);
        Assert.Equal(RejectReason.Gap, Run([feed[0], feed[2], feed[1]]).Reject);
    }

    [Fact]
    public void Replayed_old_entry_is_rejected()
    {
        var feed = Feed(6);
        var (reject, released) = Run(feed);
        Assert.Null(reject);
        Assert.Equal(6, released);
        var v = new ChainVerifier(_origin, _key.PublicKey, 0, null);
        foreach (var e in feed)
        {
            v.Offer(e);
        }
        Assert.Equal(RejectReason.Replay, v.Offer(feed[2]).Reject);
    }

    [Fact]
    public void Entry_of_another_origin_is_rejected()
    {
        var other = Feed(3, origin: Guid.CreateVersion7());
        Assert.Equal(RejectReason.WrongOrigin, Run(other).Reject);
    }

    [Fact]
    public void Entries_signed_by_their_origin_but_relayed_under_another_origin_id_fail()
    {
        // A relay that rewrites origin_id to pass an entry off as its own cannot re-sign it with the real origin's key.
        var feed = Feed(3);
        var v = new ChainVerifier(Guid.Parse(feed[0].OriginId), _forger.PublicKey, 0, null);
        Assert.Equal(RejectReason.BadSignature, feed.Select(v.Offer).Select(r => r.Reject).First(r => r is not null));
    }

    [Fact]
    public void Long_run_without_checkpoint_is_refused()
    {
        var feed = Feed(ChainVerifier.MaxUnsignedRun + 5, checkpointEvery: int.MaxValue);
        Assert.Equal(RejectReason.CheckpointMissing, Run(feed).Reject);
    }

    /// <summary>What retention leaves of an upsert (spec §7): the header, with its original payload_hash, and no payload.</summary>
    private static ChangeEntry Prune(ChangeEntry e)
    {
        Assert.Equal(WireOp.Upsert, e.Op);
        var pruned = e.Clone();
        pruned.Payload = ByteString.Empty;
        return pruned;
    }

    [Fact]
    public void Pruned_entry_is_refused_in_the_feed_and_accepted_in_a_snapshot()
    {
        var feed = Feed(6);
        feed[0] = Prune(feed[0]);
        feed[4] = Prune(feed[4]);
        Assert.Equal((RejectReason.PayloadHashMismatch, 0), Run(feed));
        Assert.Equal((null, 6), Run(feed, snapshot: true));
    }

    [Fact]
    public void Pruned_entry_in_a_reconcile_segment_is_refused()
    {
        // Repair segments come from GetChanges, which never serves a pruned entry (spec §7, §7.1).
        var whole = Feed(6);
        Assert.Null(Panoramax.Federation.Reconcile.SegmentVerifier.Verify(_origin, _key.PublicKey, 1, 6, new byte[32], null, whole).Refusal);
        var segment = Feed(6);
        segment[4] = Prune(segment[4]);
        var (entries, refusal) = Panoramax.Federation.Reconcile.SegmentVerifier.Verify(_origin, _key.PublicKey, 1, 6, new byte[32], null, segment);
        Assert.Empty(entries);
        Assert.Equal($"{RejectReason.PayloadHashMismatch} at seq 5", refusal);
    }

    [Fact]
    public void Pruned_header_with_another_payload_hash_breaks_the_chain_even_in_a_snapshot()
    {
        // The payload hash is taken as given, but it is part of the entry bytes: a relay cannot swap it unnoticed.
        var feed = Feed(3);
        feed[1] = Prune(feed[1]);
        feed[1].PayloadHash = ByteString.CopyFrom(FeedCrypto.PayloadHash("""{"id":"other"}"""));
        Assert.Equal((RejectReason.ChainBroken, 0), Run(feed, snapshot: true));
        var signed = Feed(3);
        signed[2] = Prune(signed[2]);
        signed[2].PayloadHash = ByteString.CopyFrom(new byte[32]);
        Assert.Equal((RejectReason.BadSignature, 0), Run(signed, snapshot: true));
    }

    [Fact]
    public void Snapshot_mode_still_checks_payloads_that_are_present_and_tombstones()
    {
        var feed = Feed(4);
        feed[1].Payload = ByteString.CopyFromUtf8("""{"id":"evil"}""");
        Assert.Equal(RejectReason.PayloadHashMismatch, Run(feed, snapshot: true).Reject);
        var withTombstone = Feed(4);
        Assert.Equal(WireOp.Tombstone, withTombstone[3].Op);
        withTombstone[3].Payload = ByteString.CopyFromUtf8("""{"id":"ghost"}""");
        Assert.Equal(RejectReason.PayloadHashMismatch, Run(withTombstone, snapshot: true).Reject);
    }
}
