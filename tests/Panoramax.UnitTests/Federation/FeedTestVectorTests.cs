using System.Security.Cryptography;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Signing;

namespace Panoramax.UnitTests.Federation;

/// <summary>The test vectors of federation-spec.md §9, recomputed: if this fails, the spec or the code is wrong.</summary>
public sealed class FeedTestVectorTests
{
    // RFC 8032 §7.1 test 1 key pair.
    private const string Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string PublicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private static readonly Guid Origin = Guid.Parse("0191f3a0-0000-7000-8000-000000000001");
    private static readonly Guid Entity = Guid.Parse("0191f3a0-0000-7000-8000-0000000000aa");
    private const string Payload = """{"type":"Feature","id":"0191f3a0-0000-7000-8000-0000000000aa"}""";
    private const string PayloadHash = "d9565d8a0d6c12623fcc47b7d6f42ef34fdc00a8ad58cdaaa2d12a6e91654b0d";
    private const string EntryBytes =
        "504e584645443145" + "0191f3a0000070008000000000000001" + "0000000000000001" + "02" + "0191f3a00000700080000000000000aa" + "01"
        + "0000000000000001" + "00064441f8eb5800" + PayloadHash + "0000000000000000000000000000000000000000000000000000000000000000";
    private const string EntryHash = "5df493626a9e713b917c1e3929f43ac2f9ae994750db5fe63bbec0354dcd4c66";
    private const string CheckpointBytes = "504e584645443143" + "0191f3a0000070008000000000000001" + "0000000000000001" + EntryHash;
    private const string Signature = "c56fca321b3982a7028360020dc0c419e48ba1bc2f16140aca7e41b6ab491d6320366f13e0bfda0a8d7f4b8f09c1e26680478134b40f5ec84f32cdc71a5d9105";
    private const string Token = "UE5YRkVEMVQBkfOgAABwAIAAAAAAAAABAZHzoAAAcACAAAAAAAAAAgAAAABpIvrYAAAAAAAAAAAAAAAAAAAAAJcHAI-brJ_80dMIturdLmaJcmRllGMeldZjZkVeCwKLu74OM-Jk-qT6INnWo2YYJp1vpmPYUNUcvtcXxn9nGgM";

    [Fact]
    public void Key_pair_is_the_rfc8032_one()
    {
        using var key = InstanceKeyStore.FromSeed(Convert.FromHexString(Seed));
        Assert.Equal(PublicKey, Convert.ToHexStringLower(key.PublicKey));
    }

    [Fact]
    public void Entry_canonical_bytes_hash_and_signature_match_the_spec()
    {
        using var key = InstanceKeyStore.FromSeed(Convert.FromHexString(Seed));
        var payloadHash = FeedCrypto.PayloadHash(Payload);
        Assert.Equal(PayloadHash, Convert.ToHexStringLower(payloadHash));
        var createdAt = DateTimeOffset.Parse("2025-11-23T12:13:20Z", System.Globalization.CultureInfo.InvariantCulture);
        var bytes = FeedCrypto.EntryBytes(Origin, 1, EntityKind.Picture, Entity, ChangeOp.Upsert, 1, FeedCrypto.ToUnixMicros(createdAt), payloadHash, new byte[32]);
        Assert.Equal(EntryBytes, Convert.ToHexStringLower(bytes));
        Assert.Equal(EntryHash, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var checkpoint = FeedCrypto.CheckpointBytes(Origin, 1, Convert.FromHexString(EntryHash));
        Assert.Equal(CheckpointBytes, Convert.ToHexStringLower(checkpoint));
        // Ed25519 is deterministic: the same key and bytes give the same signature everywhere.
        Assert.Equal(Signature, Convert.ToHexStringLower(key.Sign(checkpoint)));
        Assert.True(FeedCrypto.VerifyCheckpoint(Convert.FromHexString(PublicKey), Origin, 1, Convert.FromHexString(EntryHash), Convert.FromHexString(Signature)));
    }

    [Fact]
    public void Call_token_matches_the_spec_and_checks_audience_and_expiry()
    {
        using var key = InstanceKeyStore.FromSeed(Convert.FromHexString(Seed));
        var audience = Guid.Parse("0191f3a0-0000-7000-8000-000000000002");
        var expires = DateTimeOffset.FromUnixTimeSeconds(1763900120);
        Assert.Equal(Token, CallToken.Create(b => key.Sign(b), Origin, audience, expires, new byte[16]));

        var parsed = CallToken.Parse(Token)!;
        Assert.Equal(Origin, parsed.Caller);
        var now = expires.AddSeconds(-60);
        Assert.True(parsed.IsValid(key.PublicKey, audience, now));
        Assert.False(parsed.IsValid(key.PublicKey, Origin, now));
        Assert.False(parsed.IsValid(key.PublicKey, audience, expires.AddMinutes(5)));
        using var other = InstanceKeyStore.FromSeed(new byte[32]);
        Assert.False(parsed.IsValid(other.PublicKey, audience, now));
    }
}
