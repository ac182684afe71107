using Panoramax.Domain.Federation;
using Panoramax.Federation.Feed;
using ChangeEntry = Panoramax.Federation.Protocol.V1.ChangeEntry;

namespace Panoramax.Federation.Signing;

/// <summary>Why a received entry was refused (spec §6). Every refusal stops the stream: the chain cannot go on past it.</summary>
public enum RejectReason
{
    Malformed,
    /// <summary>The entry names another origin than the one asked for (or claims a record of another origin).</summary>
    WrongOrigin,
    /// <summary>seq at or below what we already hold.</summary>
    Replay,
    /// <summary>seq beyond the next one: entries missing or reordered.</summary>
    Gap,
    PayloadHashMismatch,
    /// <summary>prev_hash is not the hash of the entry before: tampered or reordered history.</summary>
    ChainBroken,
    BadSignature,
    /// <summary>Too many entries without a checkpoint to verify them.</summary>
    CheckpointMissing,
}

/// <summary>
/// Verifies one origin's feed as it streams in: gap-free seq, payload hashes, the hash chain, and the origin's
/// checkpoint signatures. Entries are released only once a checkpoint signed by the origin covers them, so
/// nothing unverified is ever applied, and at most <see cref="MaxUnsignedRun"/> entries wait in memory.
/// With <paramref name="allowPruned"/> (a snapshot copy, spec §7) an upsert whose payload retention removed (empty payload)
/// is accepted with its payload_hash as given: that hash is still part of the entry bytes, so the chain and the checkpoint
/// signatures cover it. In the ordinary feed such an entry is refused: GetChanges never serves one.
/// </summary>
public sealed class ChainVerifier(Guid origin, byte[] publicKey, long lastSeq, byte[]? lastHash, bool allowPruned = false)
{
    public const int MaxUnsignedRun = 1024;
    private readonly List<ChangeLogEntry> _pending = [];
    private byte[] _lastHash = lastHash ?? new byte[FeedCrypto.HashSize];

    /// <summary>Highest seq accepted into the chain (released or pending).</summary>
    public long LastSeq { get; private set; } = lastSeq;
    public int PendingCount => _pending.Count;

    /// <summary>Checks one entry; on success returns the entries a checkpoint just released (possibly none).</summary>
    public (RejectReason? Reject, IReadOnlyList<ChangeLogEntry> Released) Offer(ChangeEntry wire)
    {
        var e = WireEntries.FromWire(wire);
        if (e is null)
        {
            return (RejectReason.Malformed, []);
        }
        if (e.OriginInstanceId != origin)
        {
            return (RejectReason.WrongOrigin, []);
        }
        if (e.Seq <= LastSeq)
        {
            return (RejectReason.Replay, []);
        }
        if (e.Seq != LastSeq + 1)
        {
            return (RejectReason.Gap, []);
        }
        var tombstone = e.Op == ChangeOp.Tombstone;
        var pruned = allowPruned && !tombstone && wire.Payload.IsEmpty;
        var payloadOk = pruned
            || (tombstone ? e.Payload is null && wire.PayloadHash.Span.SequenceEqual(FeedCrypto.ZeroHash)
                          : e.Payload is not null && FeedCrypto.PayloadHash(wire.Payload.Span).AsSpan().SequenceEqual(wire.PayloadHash.Span));
        if (!payloadOk)
        {
            return (RejectReason.PayloadHashMismatch, []);
        }
        if (!wire.PrevHash.Span.SequenceEqual(_lastHash))
        {
            return (RejectReason.ChainBroken, []);
        }
        var hash = FeedCrypto.EntryHash(origin, e.Seq, e.EntityKind, e.EntityId, e.Op, e.EntityVersion, wire.CreatedAtUs,
            wire.PayloadHash.Span, wire.PrevHash.Span);
        if (e.Signature is { } sig && !FeedCrypto.VerifyCheckpoint(publicKey, origin, e.Seq, hash, sig))
        {
            return (RejectReason.BadSignature, []);
        }
        e.EntryHash = hash;
        _pending.Add(e);
        LastSeq = e.Seq;
        _lastHash = hash;
        if (e.Signature is null)
        {
            return _pending.Count > MaxUnsignedRun ? (RejectReason.CheckpointMissing, []) : (null, []);
        }
        var released = _pending.ToList();
        _pending.Clear();
        return (null, released);
    }
}
