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
    /// <summary>Folder for spooling uploads of unknown length before sending them (S3 needs sizes); empty means the system temp folder.</summary>
    public string? SpoolDirectory { get; set; }
}
