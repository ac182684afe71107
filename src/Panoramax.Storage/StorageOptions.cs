namespace Panoramax.Storage;

/// <summary>
/// <c>Panoramax:Storage</c>: where picture files go. The filesystem default needs nothing; S3 is the
/// scale-out path (several stateless hosts sharing one bucket).
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Panoramax:Storage";

    public StorageKind Kind { get; set; } = StorageKind.FileSystem;
    public FileSystemStorageOptions FileSystem { get; set; } = new();
    public S3StorageOptions S3 { get; set; } = new();
}

public enum StorageKind
{
    FileSystem,
    S3,
}

public sealed class FileSystemStorageOptions
{
    /// <summary>Root folder; empty means <c>&lt;DataDirectory&gt;/storage</c>, relative paths are resolved from the data directory.</summary>
    public string? Root { get; set; }
}

public sealed class S3StorageOptions
{
    /// <summary><c>host:port</c>, or a URL (<c>https://s3.example.org</c>) whose scheme then decides TLS.</summary>
    public string? Endpoint { get; set; }
    public string? AccessKey { get; set; }
    public string? SecretKey { get; set; }
    public string? Bucket { get; set; }
    public string Region { get; set; } = "us-east-1";
    public bool UseSsl { get; set; } = true;
    /// <summary>Create the bucket at start-up when it does not exist (turn off when the credentials may not create buckets).</summary>
    public bool CreateBucket { get; set; } = true;
    /// <summary>
    /// Answer requests for public picture files (published, visible to anyone) with a redirect to a presigned GET on
    /// the store instead of relaying the bytes: the instance then only checks visibility. Other files (owner-only,
    /// logged-only, processing) are always relayed. The bucket must answer CORS for the viewer's origin.
    /// </summary>
    public bool DirectDownloads { get; set; }

    /// <summary>The store's URL as browsers reach it (<c>https://s3.example.org</c>), for direct downloads; empty means <see cref="Endpoint"/>.</summary>
    public string? PublicEndpoint { get; set; }

    /// <summary>
    /// How long one presigned link is handed out (and a redirect to it may be cached): links are signed at the start
    /// of each window, so everyone gets the same URL and caches can share it, and expire two windows after that start.
    /// A picture hidden or deleted stays reachable through a link already handed out for at most that long.
    /// </summary>
    public TimeSpan DirectDownloadWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Folder for spooling uploads of unknown length before sending them (S3 needs sizes); empty means the system temp folder.</summary>
    public string? SpoolDirectory { get; set; }
}
