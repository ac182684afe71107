using System.Globalization;
using System.Runtime.CompilerServices;
using Panoramax.Domain.Abstractions;

namespace Panoramax.Storage.FileSystem;

/// <summary>
/// The embedded default: one file per key under a root folder. Writes go to a temp file in the target
/// folder, are fsync'ed, then renamed over the key, so a reader (or a crash) sees the whole old file or
/// the whole new one. Readers keep their open file even when it is replaced or deleted (POSIX semantics).
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    // '~' cannot appear in a valid key, so a temp file can never be mistaken for (or collide with) an object.
    private const string TempMarker = "~tmp";
    private const int BufferSize = 81_920;

    public FileSystemBlobStore(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Creates the root folder (at start-up, so a permission problem shows before the first upload).</summary>
    public Task InitializeAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Root);
        return Task.CompletedTask;
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct)
    {
        var path = PathOf(key);
        var folder = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(folder, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempMarker}");
        try
        {
            await using (var file = CreateTemp(folder, temp))
            {
                await content.CopyToAsync(file, BufferSize, ct);
                await file.FlushAsync(ct);
                // Durability before visibility: the rename must never expose a file whose data is still in the page cache only.
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static FileStream CreateTemp(string folder, string temp)
    {
        for (var attempt = 1; ; attempt++)
        {
            Directory.CreateDirectory(folder);
            try
            {
                return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
            }
            catch (DirectoryNotFoundException) when (attempt < 3)
            {
                // A concurrent delete pruned the (then empty) folder between the two calls: create it again.
            }
        }
    }

    public Task<BlobInfo?> GetInfoAsync(string key, CancellationToken ct)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? InfoOf(key, file) : null);
    }

    public Task<Stream?> OpenReadAsync(string key, long offset, long? length, CancellationToken ct)
    {
        BlobKeys.EnsureValidRange(offset, length);
        FileStream file;
        try
        {
            // FileShare.Delete: an open reader must not block an overwrite (rename) or a delete.
            file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
        if (offset > 0)
        {
            file.Seek(Math.Min(offset, file.Length), SeekOrigin.Begin);
        }
        return Task.FromResult<Stream?>(length is null ? file : new BoundedReadStream(file, length));
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }
        File.Delete(path);
        PruneEmptyFolders(Path.GetDirectoryName(path)!);
        return Task.FromResult(true);
    }

    public async Task<int> DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        BlobKeys.EnsureValidPrefix(prefix, allowEmpty: false);
        var deleted = 0;
        var folders = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var key in ListAsync(prefix, ct))
        {
            var path = PathOf(key);
            try
            {
                File.Delete(path);
                deleted++;
                folders.Add(Path.GetDirectoryName(path)!);
            }
            catch (FileNotFoundException)
            {
                // Deleted concurrently: nothing left to do.
            }
        }
        foreach (var folder in folders.OrderByDescending(f => f.Length))
        {
            PruneEmptyFolders(folder);
        }
        return deleted;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        BlobKeys.EnsureValidPrefix(prefix, allowEmpty: true);
        // Walk only the deepest folder the prefix names; the rest of the prefix filters file names.
        var slash = prefix.LastIndexOf('/');
        var folder = slash < 0 ? Root : Path.Combine(Root, prefix[..slash]);
        if (!Directory.Exists(folder))
        {
            yield break;
        }
        var files = Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 });
        foreach (var full in files)
        {
            ct.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(Root, full).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && StorageKeys.IsValid(key))
            {
                yield return key;
            }
        }
        await Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        BlobKeys.EnsureValid(key);
        var path = Path.GetFullPath(Path.Combine(Root, key));
        // Defence in depth: IsValid already refuses '..' and absolute keys.
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid storage key '{key}'", nameof(key));
        }
        return path;
    }

    private static BlobInfo InfoOf(string key, FileInfo file)
    {
        var modified = file.LastWriteTimeUtc;
        // Cheap and changes on every replacement: a new temp file gets a new mtime (nanosecond clock) and the rename keeps it.
        var etag = string.Create(CultureInfo.InvariantCulture, $"\"{file.Length:x}-{modified.Ticks:x}\"");
        return new BlobInfo(key, file.Length, new DateTimeOffset(modified, TimeSpan.Zero), etag, ContentTypes.FromKey(key));
    }

    private void PruneEmptyFolders(string folder)
    {
        // Keeps the tree small after deletions; a concurrent writer re-creates what it needs.
        for (var dir = folder; dir.Length > Root.Length && dir.StartsWith(Root, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir)!)
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    return;
                }
                Directory.Delete(dir);
            }
            catch (IOException)
            {
                return;
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp file is invisible to readers and listings.
        }
    }
}
