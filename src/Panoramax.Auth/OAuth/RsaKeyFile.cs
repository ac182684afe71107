using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Panoramax.Auth.OAuth;

/// <summary>
/// RSA keys of the OpenID Connect server, kept as PEM files so tokens survive restarts and every host of the
/// instance signs with the same key (never development certificates regenerated at each start).
/// </summary>
internal static class RsaKeyFile
{
    public static RsaSecurityKey LoadOrCreate(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            using var created = RSA.Create(2048);
            var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                using var w = new StreamWriter(fs);
                w.Write(created.ExportPkcs8PrivateKeyPem());
                w.Flush();
                fs.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(tmp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(tmp);
            }
        }
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"The key file {path} is not a PEM RSA private key: {e.Message}", e);
        }
        // A key id derived from the public key: stable across restarts and hosts, so cached JWKS stay valid.
        var id = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()).AsSpan(0, 16).ToArray());
        return new RsaSecurityKey(rsa) { KeyId = id };
    }
}
