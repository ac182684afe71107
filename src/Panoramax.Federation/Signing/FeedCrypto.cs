using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Panoramax.Domain.Federation;

namespace Panoramax.Federation.Signing;

/// <summary>
/// The bytes that are hashed and signed in the federation feed (federation-spec.md §3). Fixed-size binary
/// layouts rather than JSON so that a second implementation cannot disagree on canonicalisation.
/// </summary>
public static class FeedCrypto
{
    public const int HashSize = 32;
    public const int SignatureSize = 64;
    public const int EntryBytesSize = 130;
    public const int CheckpointBytesSize = 64;
    private static readonly byte[] EntryMagic = "PNXFED1E"u8.ToArray();
    private static readonly byte[] CheckpointMagic = "PNXFED1C"u8.ToArray();

    /// <summary>SHA-256 of 32 zero bytes stands for "no hash" (tombstone payload, prev of seq 1).</summary>
    public static ReadOnlySpan<byte> ZeroHash => new byte[HashSize];

    public static byte KindCode(EntityKind kind) => kind switch
    {
        EntityKind.Sequence => 1,
        EntityKind.Picture => 2,
        EntityKind.Account => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static byte OpCode(ChangeOp op) => op switch
    {
        ChangeOp.Upsert => 1,
        ChangeOp.Tombstone => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>Microseconds since the Unix epoch: the precision PostgreSQL keeps, so a stored entry hashes the same after a round trip.</summary>
    public static long ToUnixMicros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromUnixMicros(long us) => DateTimeOffset.UnixEpoch.AddTicks(us * 10);

    public static byte[] PayloadHash(string? payload) =>
        payload is null ? new byte[HashSize] : SHA256.HashData(Encoding.UTF8.GetBytes(payload));

    public static byte[] PayloadHash(ReadOnlySpan<byte> payload) =>
        payload.IsEmpty ? new byte[HashSize] : SHA256.HashData(payload);

    /// <summary>The 130 canonical bytes of an entry (spec §3.1).</summary>
    public static byte[] EntryBytes(Guid origin, long seq, EntityKind kind, Guid entityId, ChangeOp op, long entityVersion,
        long createdAtMicros, ReadOnlySpan<byte> payloadHash, ReadOnlySpan<byte> prevHash)
    {
        if (payloadHash.Length != HashSize || prevHash.Length != HashSize)
        {
            throw new ArgumentException("Hashes are 32 bytes.");
        }
        var b = new byte[EntryBytesSize];
        var s = b.AsSpan();
        EntryMagic.CopyTo(s);
        origin.TryWriteBytes(s[8..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(s[24..], seq);
        s[32] = KindCode(kind);
        entityId.TryWriteBytes(s[33..], bigEndian: true, out _);
        s[49] = OpCode(op);
        BinaryPrimitives.WriteInt64BigEndian(s[50..], entityVersion);
        BinaryPrimitives.WriteInt64BigEndian(s[58..], createdAtMicros);
        payloadHash.CopyTo(s[66..]);
        prevHash.CopyTo(s[98..]);
        return b;
    }

    public static byte[] EntryHash(Guid origin, long seq, EntityKind kind, Guid entityId, ChangeOp op, long entityVersion,
        long createdAtMicros, ReadOnlySpan<byte> payloadHash, ReadOnlySpan<byte> prevHash) =>
        SHA256.HashData(EntryBytes(origin, seq, kind, entityId, op, entityVersion, createdAtMicros, payloadHash, prevHash));

    /// <summary>The 64 bytes an origin signs to vouch for an entry and, through the chain, every entry before it (spec §3.2).</summary>
    public static byte[] CheckpointBytes(Guid origin, long seq, ReadOnlySpan<byte> entryHash)
    {
        var b = new byte[CheckpointBytesSize];
        var s = b.AsSpan();
        CheckpointMagic.CopyTo(s);
        origin.TryWriteBytes(s[8..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(s[24..], seq);
        entryHash.CopyTo(s[32..]);
        return b;
    }

    public static bool VerifyCheckpoint(ReadOnlySpan<byte> publicKey, Guid origin, long seq, ReadOnlySpan<byte> entryHash, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize && InstanceKeyStore.Verify(publicKey, CheckpointBytes(origin, seq, entryHash), signature);
}
