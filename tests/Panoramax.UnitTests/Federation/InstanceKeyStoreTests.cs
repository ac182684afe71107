using Panoramax.Federation.Signing;

namespace Panoramax.UnitTests.Federation;

public sealed class InstanceKeyStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("panoramax-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void First_start_creates_a_private_key_only_the_owner_can_read()
    {
        using var keys = InstanceKeyStore.LoadOrCreate(_dir);

        Assert.True(keys.Created);
        Assert.Equal(32, keys.PublicKey.Length);
        var mode = File.GetUnixFileMode(Path.Combine(_dir, InstanceKeyStore.PrivateKeyFileName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void Second_start_reuses_the_same_identity()
    {
        byte[] first;
        using (var keys = InstanceKeyStore.LoadOrCreate(_dir))
        {
            first = keys.PublicKey;
        }
        using var again = InstanceKeyStore.LoadOrCreate(_dir);

        Assert.False(again.Created);
        Assert.Equal(first, again.PublicKey);
    }

    [Fact]
    public void Signatures_verify_with_the_public_key_and_fail_when_tampered()
    {
        using var keys = InstanceKeyStore.LoadOrCreate(_dir);
        var data = "change entry"u8.ToArray();
        var signature = keys.Sign(data);

        Assert.True(InstanceKeyStore.Verify(keys.PublicKey, data, signature));
        data[0] ^= 1;
        Assert.False(InstanceKeyStore.Verify(keys.PublicKey, data, signature));
        Assert.False(InstanceKeyStore.Verify(new byte[5], data, signature));
    }

    [Fact]
    public void A_corrupt_key_file_is_reported_not_replaced()
    {
        File.WriteAllText(Path.Combine(_dir, InstanceKeyStore.PrivateKeyFileName), "not a key");

        var e = Assert.Throws<InvalidOperationException>(() => InstanceKeyStore.LoadOrCreate(_dir));
        Assert.Contains("not a valid Ed25519 private key", e.Message, StringComparison.Ordinal);
        Assert.Equal("not a key", File.ReadAllText(Path.Combine(_dir, InstanceKeyStore.PrivateKeyFileName)));
    }
}
