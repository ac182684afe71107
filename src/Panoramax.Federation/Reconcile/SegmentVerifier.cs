using Panoramax.Domain.Federation;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Signing;
using ChangeEntry = Panoramax.Federation.Protocol.V1.ChangeEntry;

namespace Panoramax.Federation.Reconcile;

/// <summary>
/// Verifies a segment [from, to] of an origin's log fetched to repair a range (spec §7.1). The caller's own stored
/// chain, verified when it was applied, anchors both ends: the segment must start from the hash of the caller's entry
/// <c>from - 1</c> and end on the hash the caller's entry <c>to + 1</c> names as its predecessor (or, at the caller's
/// cursor, on the caller's own entry); only where the caller holds no such entry may a checkpoint, whose signature
/// like every one inside must verify with the origin's key, end it. In between every entry is checked as a feed entry (§3.3).
/// An upsert without payload (a pruned header) is refused: GetChanges never serves one (spec §7), and accepting it would let
/// a peer store the header of a record's newest entry here while withholding the record.
/// </summary>
public static class SegmentVerifier
{
    /// <summary>The stored entries of a verified segment, or why it was refused.</summary>
    public static (IReadOnlyList<ChangeLogEntry> Entries, string? Refusal) Verify(
        Guid origin, byte[] publicKey, long from, long to, ReadOnlySpan<byte> startHash, byte[]? endHash, IReadOnlyList<ChangeEntry> segment)
    {
        if (segment.Count != to - from + 1)
        {
            return ([], $"expected {to - from + 1} entries for [{from}, {to}], got {segment.Count}");
        }
        var prev = startHash.ToArray();
        var list = new List<ChangeLogEntry>(segment.Count);
        for (var i = 0; i < segment.Count; i++)
        {
            var wire = segment[i];
            var e = WireEntries.FromWire(wire);
            if (e is null)
            {
                return ([], $"{RejectReason.Malformed} at seq {wire.Seq}");
            }
            if (e.OriginInstanceId != origin)
            {
                return ([], $"{RejectReason.WrongOrigin} at seq {wire.Seq}");
            }
            if (e.Seq != from + i)
            {
                return ([], $"{RejectReason.Gap} at seq {wire.Seq} (expected {from + i})");
            }
            var tombstone = e.Op == ChangeOp.Tombstone;
            if (tombstone ? (e.Payload is not null || !wire.PayloadHash.Span.SequenceEqual(FeedCrypto.ZeroHash))
                          : e.Payload is null || !FeedCrypto.PayloadHash(wire.Payload.Span).AsSpan().SequenceEqual(wire.PayloadHash.Span))
            {
                return ([], $"{RejectReason.PayloadHashMismatch} at seq {wire.Seq}");
            }
            if (!wire.PrevHash.Span.SequenceEqual(prev))
            {
                return ([], $"{RejectReason.ChainBroken} at seq {wire.Seq}");
            }
            var hash = FeedCrypto.EntryHash(origin, e.Seq, e.EntityKind, e.EntityId, e.Op, e.EntityVersion, wire.CreatedAtUs,
                wire.PayloadHash.Span, wire.PrevHash.Span);
            if (e.Signature is { } sig && !FeedCrypto.VerifyCheckpoint(publicKey, origin, e.Seq, hash, sig))
            {
                return ([], $"{RejectReason.BadSignature} at seq {wire.Seq}");
            }
            e.EntryHash = hash;
            list.Add(e);
            prev = hash;
        }
        // The end is anchored by what we hold; only when we hold nothing there, by the origin's signature on the last entry.
        if (endHash is not null ? !endHash.AsSpan().SequenceEqual(prev) : list[^1].Signature is null)
        {
            return ([], $"{RejectReason.ChainBroken}: the segment does not lead to the stored entry {to + 1}");
        }
        return (list, null);
    }
}
