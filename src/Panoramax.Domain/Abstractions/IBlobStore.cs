namespace Panoramax.Domain.Abstractions;

/// <summary>
/// Where picture files live (filesystem by default, any S3-compatible store in production).
/// Writes are atomic: a reader sees the whole previous object or the whole new one, never a partial file.
/// Keys are relative, '/'-separated, and made by <see cref="StorageKeys"/>; stores reject anything else.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Stores <paramref name="content"/> (from its current position to its end) under <paramref name="key"/>, replacing any
    /// previous object, streaming (no full buffering). If reading <paramref name="content"/> fails, the previous object is kept.
    /// <paramref name="contentType"/> may be empty (then it follows the key's extension); the filesystem store always does that.
    /// </summary>
    Task PutAsync(string key, Stream content, string contentType, CancellationToken ct);

    /// <returns>null when the object does not exist.</returns>
    Task<BlobInfo?> GetInfoAsync(string key, CancellationToken ct);

    /// <summary>
    /// Opens the object, or a byte range of it (<paramref name="offset"/>, <paramref name="length"/>), for reading as a
    /// forward-only stream. A range running past the end stops at the end; an offset at or past the end reads nothing.
    /// An open reader keeps reading the version it opened, even if the key is overwritten meanwhile.
    /// </summary>
    /// <returns>null when the object does not exist.</returns>
    Task<Stream?> OpenReadAsync(string key, long offset, long? length, CancellationToken ct);

    /// <returns>false when there was nothing to delete.</returns>
    Task<bool> DeleteAsync(string key, CancellationToken ct);

    /// <summary>Deletes every object whose key starts with <paramref name="prefix"/> (a folder-like prefix ending in '/').</summary>
    /// <returns>How many objects were deleted.</returns>
    Task<int> DeletePrefixAsync(string prefix, CancellationToken ct);

    /// <summary>Keys under <paramref name="prefix"/>, in no particular order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct);
}

/// <summary>What HTTP needs to serve an object: its <c>ETag</c> is an HTTP entity tag, quotes included, that changes whenever the object is replaced.</summary>
public sealed record BlobInfo(string Key, long Length, DateTimeOffset LastModified, string ETag, string ContentType);

/// <summary>
/// A store that can hand clients a time-limited link to an object, so a public file is answered with a redirect
/// instead of being relayed through the instance (an S3 store's presigned GET).
/// </summary>
public interface IBlobDownloadLinks
{
    /// <returns>null when this store is not set up to hand out links (the file is then streamed as usual).</returns>
    ValueTask<BlobDownloadLink?> GetDownloadLinkAsync(string key, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// A link for one caller already authorised (an account's export): signed now, valid for <paramref name="lifetime"/>,
    /// the store answering with <c>Content-Disposition: attachment</c> under <paramref name="fileName"/> and no caching.
    /// </summary>
    /// <returns>null when this store is not set up to hand out links.</returns>
    ValueTask<Uri?> GetPrivateDownloadLinkAsync(string key, string fileName, TimeSpan lifetime, CancellationToken ct);
}

/// <summary>
/// A link to an object: <paramref name="ShareUntil"/> is how long the same link is handed out (a redirect to it may be
/// cached that long); the link itself stays valid for at least as long again after that, then the store refuses it.
/// </summary>
public sealed record BlobDownloadLink(Uri Url, DateTimeOffset ShareUntil);

/// <summary>
/// The one layout of picture files in any store: <c>pictures/ab/cd/{uuid}/hd.jpg</c> (+ sd.jpg, thumb.jpg,
/// tiles/{col}_{row}.jpg), with the unblurred original, when kept, under a separate private prefix.
/// Two levels of hex prefixes keep filesystem folders small.
/// </summary>
public static class StorageKeys
{
    public static string PictureFolder(Guid id)
    {
        var hex = id.ToString("N");
        return $"pictures/{hex[..2]}/{hex[2..4]}/{id:D}/";
    }

    public static string Hd(Guid id) => PictureFolder(id) + "hd.jpg";
    public static string Sd(Guid id) => PictureFolder(id) + "sd.jpg";
    public static string Thumb(Guid id) => PictureFolder(id) + "thumb.jpg";
    public static string TilesPrefix(Guid id) => PictureFolder(id) + "tiles/";
    public static string Tile(Guid id, int col, int row) => $"{TilesPrefix(id)}{col}_{row}.jpg";

    /// <summary>Unblurred originals kept for re-processing; never served.</summary>
    public static string Original(Guid id)
    {
        var hex = id.ToString("N");
        return $"originals/{hex[..2]}/{hex[2..4]}/{id:D}.jpg";
    }

    /// <summary>A file received in an upload, before processing.</summary>
    public static string Upload(Guid uploadSetId, Guid fileId) => $"uploads/{uploadSetId:D}/{fileId:D}.jpg";

    /// <summary>An account export archive: a private prefix no route serves except the owner's download.</summary>
    public static string Export(Guid accountId, Guid exportId) => $"exports/{accountId:D}/{exportId:D}.zip";

    /// <summary>True for keys made of safe segments only (no '..', no absolute path, no backslash, no empty segment).</summary>
    public static bool IsValid(string key) =>
        !string.IsNullOrEmpty(key)
        && key.Length <= 1024
        && !key.StartsWith('/')
        && !key.Contains('\\', StringComparison.Ordinal)
        && key.Split('/').All(s => s.Length > 0 && s != "." && s != ".." && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));
}
