using System.Security.Cryptography;

namespace Panoramax.Auth.Tokens;

/// <summary>
/// The instance secret API tokens are signed with (HS256, as GeoVisio's SECRET_KEY). Created once under the keys
/// folder and kept: replacing it invalidates every token handed out.
/// </summary>
public sealed class TokenSigningKey
{
    public const string FileName = "api-tokens-hs256.key";

    private TokenSigningKey(byte[] secret) => Secret = secret;

    public byte[] Secret { get; }

    public static TokenSigningKey LoadOrCreate(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            var created = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
            // Written beside the target with owner-only rights, then renamed: never half-written nor world-readable.
            var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                using var w = new StreamWriter(fs);
                w.Write(created);
                w.Flush();
                fs.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(tmp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another host sharing the folder made it first: use theirs.
                File.Delete(tmp);
            }
        }
        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The API token key file {path} is not base64 text. Restore it from a backup, or delete it to invalidate every API token.");
        }
        if (secret.Length < 32)
        {
            throw new InvalidOperationException($"The API token key in {path} is shorter than 32 bytes; HS256 needs at least 256 bits.");
        }
        return new TokenSigningKey(secret);
    }
}
