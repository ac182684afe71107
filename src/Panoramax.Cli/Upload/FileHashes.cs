using System.Security.Cryptography;

namespace Panoramax.Cli.Upload;

/// <summary>
/// Checksums of a local picture, to tell which files an upload set already holds. SHA-256 is compared when the server
/// lists it (<c>content_sha256</c>, this implementation); MD5 otherwise (<c>content_md5</c>, which every GeoVisio lists).
/// </summary>
public sealed record FileHashes(string Sha256, string Md5)
{
    public static async Task<FileHashes> ComputeAsync(string path, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
#pragma warning disable CA5351 // MD5 is GeoVisio's content_md5 checksum (what the server lists), not a security measure.
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
        var buffer = new byte[128 * 1024];
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            md5.AppendData(buffer, 0, read);
        }
        return new FileHashes(Convert.ToHexStringLower(sha.GetHashAndReset()), Convert.ToHexStringLower(md5.GetHashAndReset()));
    }
}
