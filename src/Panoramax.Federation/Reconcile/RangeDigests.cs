using System.Buffers.Binary;
using System.Security.Cryptography;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Signing;

namespace Panoramax.Federation.Reconcile;

/// <summary>One line of a range digest (spec §7.1): an entry that is the newest of its record, as one side sees it.</summary>
/// <param name="Seq">The entry's seq in the origin's log.</param>
/// <param name="Kind">The record's kind.</param>
/// <param name="EntityId">The record's global id.</param>
/// <param name="Version">The record's version (0 when the caller does not hold the record).</param>
/// <param name="Op">1 upsert, 2 tombstone, 0 record missing (caller side only).</param>
public readonly record struct DigestLine(long Seq, EntityKind Kind, Guid EntityId, long Version, byte Op)
{
    public const int Size = 34;
    public const byte Missing = 0;

    public static byte OpCode(ChangeOp op) => FeedCrypto.OpCode(op);

    public void Write(Span<byte> s)
    {
        BinaryPrimitives.WriteInt64BigEndian(s, Seq);
        s[8] = FeedCrypto.KindCode(Kind);
        EntityId.TryWriteBytes(s[9..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(s[25..], Version);
        s[33] = Op;
    }
}

/// <summary>Count and SHA-256 of the digest lines of one inclusive seq range.</summary>
public sealed record RangeDigestValue(long From, long To, long Count, byte[] Hash)
{
    public bool SameAs(RangeDigestValue other) => Count == other.Count && Hash.AsSpan().SequenceEqual(other.Hash);
}

/// <summary>
/// The digest of a seq range (spec §7.1): SHA-256 over the 34-byte lines of its newest-of-record entries in seq order.
/// Both sides of a Reconcile compute it, the answering one from its log, the caller from its log and its records.
/// </summary>
public sealed class RangeDigestBuilder : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _line = new byte[DigestLine.Size];

    public long Count { get; private set; }

    public void Add(DigestLine line)
    {
        line.Write(_line);
        _sha.AppendData(_line);
        Count++;
    }

    public RangeDigestValue Finish(long from, long to) => new(from, to, Count, _sha.GetHashAndReset());

    public void Dispose() => _sha.Dispose();

    /// <summary>The digest of <paramref name="lines"/> (already in seq order) for the range [from, to].</summary>
    public static RangeDigestValue Of(long from, long to, IEnumerable<DigestLine> lines)
    {
        using var b = new RangeDigestBuilder();
        foreach (var l in lines)
        {
            b.Add(l);
        }
        return b.Finish(from, to);
    }
}
