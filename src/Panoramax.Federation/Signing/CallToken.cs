using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Panoramax.Federation.Signing;

/// <summary>
/// Short-lived bearer token of a federation call (spec §4): who calls, for whom, until when, signed with the
/// caller's instance key. The callee checks it against the key it pinned for the caller, so a token stolen from
/// one peer is useless against another (audience) and for long (expiry).
/// </summary>
public static class CallToken
{
    public const string MetadataKey = "x-panoramax-token";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    /// <summary>Clock difference tolerated between instances.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(1);
    private const int BodySize = 8 + 16 + 16 + 8 + 16;
    private static readonly byte[] Magic = "PNXFED1T"u8.ToArray();

    public static string Create(InstanceKeyStore key, Guid caller, Guid audience, DateTimeOffset now) =>
        Create(b => key.Sign(b), caller, audience, now.Add(Lifetime), RandomNumberGenerator.GetBytes(16));

    /// <summary>Deterministic form (test vectors).</summary>
    public static string Create(Func<byte[], byte[]> sign, Guid caller, Guid audience, DateTimeOffset expires, byte[] nonce)
    {
        var body = Body(caller, audience, expires.ToUnixTimeSeconds(), nonce);
        var sig = sign(body);
        return Base64Url(body.Concat(sig).ToArray());
    }

    public static byte[] Body(Guid caller, Guid audience, long expiresUnixSeconds, ReadOnlySpan<byte> nonce)
    {
        var b = new byte[BodySize];
        var s = b.AsSpan();
        Magic.CopyTo(s);
        caller.TryWriteBytes(s[8..], bigEndian: true, out _);
        audience.TryWriteBytes(s[24..], bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(s[40..], expiresUnixSeconds);
        nonce[..16].CopyTo(s[48..]);
        return b;
    }

    /// <summary>Reads a token without checking it; null when it is not even well-formed.</summary>
    public static Parsed? Parse(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
        {
            return null;
        }
        byte[] raw;
        try
        {
            raw = FromBase64Url(token);
        }
        catch (FormatException)
        {
            return null;
        }
        if (raw.Length != BodySize + FeedCrypto.SignatureSize || !raw.AsSpan(0, 8).SequenceEqual(Magic))
        {
            return null;
        }
        var s = raw.AsSpan();
        return new Parsed(
            new Guid(s.Slice(8, 16), bigEndian: true),
            new Guid(s.Slice(24, 16), bigEndian: true),
            DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(s[40..])),
            raw[..BodySize],
            raw[BodySize..]);
    }

    public sealed record Parsed(Guid Caller, Guid Audience, DateTimeOffset Expires, byte[] Body, byte[] Signature)
    {
        /// <summary>
        /// Signature by <paramref name="publicKey"/>, audience and expiry window. <paramref name="allowNilAudience"/>: a first
        /// Hello does not know the callee's id yet and may use the nil UUID.
        /// </summary>
        public bool IsValid(ReadOnlySpan<byte> publicKey, Guid self, DateTimeOffset now, bool allowNilAudience = false) =>
            (Audience == self || (allowNilAudience && Audience == Guid.Empty))
            && Expires > now - Skew
            && Expires <= now + Lifetime + Skew
            && InstanceKeyStore.Verify(publicKey, Body, Signature);
    }

    public static string Base64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string s)
    {
        var t = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(t.PadRight(t.Length + (4 - t.Length % 4) % 4, '='));
    }
}
