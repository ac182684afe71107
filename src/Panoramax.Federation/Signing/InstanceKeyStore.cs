using NSec.Cryptography;

namespace Panoramax.Federation.Signing;

/// <summary>
/// This instance's Ed25519 signing key, created on first start and kept in a file only the server's
/// user can read. Peers pin the public key; change-log entries and call tokens are signed with it.
/// </summary>
public sealed class InstanceKeyStore : IDisposable
{
    public const string PrivateKeyFileName = "instance-ed25519.key";
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private InstanceKeyStore(Key key, bool created)
    {
        _key = key;
        Created = created;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>32 raw bytes.</summary>
    public byte[] PublicKey { get; }
    /// <summary>True when this start generated the key.</summary>
    public bool Created { get; }

    public static InstanceKeyStore LoadOrCreate(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, PrivateKeyFileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllBytes(path);
            if (!Key.TryImport(Algorithm, text, KeyBlobFormat.PkixPrivateKeyText, out var loaded, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }) || loaded is null)
            {
                throw new InvalidOperationException($"The instance key file {path} is not a valid Ed25519 private key (PKCS#8 PEM). Restore it from a backup; deleting it changes the instance identity for its peers.");
            }
            return new InstanceKeyStore(loaded, created: false);
        }

        var key = Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var pem = key.Export(KeyBlobFormat.PkixPrivateKeyText);
        // Write next to the target, restrict, then rename: the key never exists half-written or world-readable.
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            fs.Write(pem);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: false);
        return new InstanceKeyStore(key, created: true);
    }

    /// <summary>A key from its 32-byte RFC 8032 seed: test vectors and test peers, never the server's own key.</summary>
    public static InstanceKeyStore FromSeed(ReadOnlySpan<byte> seed) =>
        new(Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey), created: false);

    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        PublicKeyFrom(publicKey) is { } pk && Algorithm.Verify(pk, data, signature);

    /// <summary>
    /// A short form of a public key that two admins can read to each other before one confirms the other as a peer:
    /// the first 16 bytes of the SHA-256 of the raw key, in lowercase hex groups of four (<c>1a2b:3c4d:…</c>).
    /// </summary>
    /// <param name="publicKey">32 raw bytes; an empty key gives an empty fingerprint.</param>
    public static string Fingerprint(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.IsEmpty)
        {
            return "";
        }
        var hex = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(publicKey)[..16]);
        return string.Join(':', Enumerable.Range(0, hex.Length / 4).Select(i => hex.Substring(i * 4, 4)));
    }

    private static NSec.Cryptography.PublicKey? PublicKeyFrom(ReadOnlySpan<byte> raw) =>
        NSec.Cryptography.PublicKey.TryImport(Algorithm, raw, KeyBlobFormat.RawPublicKey, out var pk) ? pk : null;

    public void Dispose() => _key.Dispose();
}
