using System.Text.Json;

namespace Panoramax.Cli.Upload;

/// <summary>A file an upload set lists (<c>GET /api/upload_sets/{id}/files</c>), rejected or not.</summary>
public sealed record RemoteFile(string FileName, string? Sha256, string? Md5, RemoteRejection? Rejection);

/// <summary>Why the server did not keep a file: reason (<c>invalid_metadata</c>, <c>file_duplicate</c>…), severity and message.</summary>
public sealed record RemoteRejection(string Reason, string Severity, string Message)
{
    /// <summary>Duplicates (of a file elsewhere, or of a capture) are not errors of the uploader's files.</summary>
    public bool IsFailure => Severity == "error" && Reason != "file_duplicate";

    public static RemoteRejection? From(JsonElement rejected)
    {
        if (rejected.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var reason = Text(rejected, "reason") ?? "rejected";
        var severity = Text(rejected, "severity") ?? "error";
        var message = Text(rejected, "message") ?? reason;
        if (rejected.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object)
        {
            if (Text(details, "error") is { } error && error != message)
            {
                message += $": {error}";
            }
            if (details.TryGetProperty("missing_fields", out var missing) && missing.ValueKind == JsonValueKind.Array && missing.GetArrayLength() > 0)
            {
                message += $" (missing: {string.Join(", ", missing.EnumerateArray().Select(m => m.ToString()))})";
            }
        }
        return new RemoteRejection(reason, severity, message);
    }

    internal static string? Text(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>
/// What an upload set already holds, by content: a local file whose SHA-256 (or MD5, for servers that list only
/// GeoVisio's <c>content_md5</c>) is listed needs no second sending.
/// </summary>
public sealed class RemoteFiles
{
    private readonly Dictionary<string, RemoteFile> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RemoteFile> _kept = new(StringComparer.Ordinal);

    public static RemoteFiles Empty { get; } = new();

    public int Count { get; private set; }

    public static RemoteFiles From(JsonElement filesAnswer)
    {
        var index = new RemoteFiles();
        if (!filesAnswer.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
        {
            return index;
        }
        foreach (var f in files.EnumerateArray())
        {
            var file = new RemoteFile(
                RemoteRejection.Text(f, "file_name") ?? "",
                RemoteRejection.Text(f, "content_sha256")?.ToLowerInvariant(),
                RemoteRejection.Text(f, "content_md5")?.ToLowerInvariant(),
                f.TryGetProperty("rejected", out var r) ? RemoteRejection.From(r) : null);
            index.Count++;
            if (file.Sha256 is { } sha)
            {
                index._byHash[$"sha256:{sha}"] = file;
            }
            if (file.Md5 is { } md5)
            {
                index._byHash[$"md5:{md5}"] = file;
            }
            if (file.Rejection is null)
            {
                index._kept[file.FileName] = file;
            }
        }
        return index;
    }

    /// <summary>The listed file with these bytes; SHA-256 first, MD5 for servers that do not list SHA-256.</summary>
    public RemoteFile? Find(FileHashes hashes) =>
        _byHash.GetValueOrDefault($"sha256:{hashes.Sha256}") ?? _byHash.GetValueOrDefault($"md5:{hashes.Md5}");

    /// <summary>A kept picture of that name (with other bytes when <see cref="Find"/> did not match).</summary>
    public RemoteFile? Named(string fileName) => _kept.GetValueOrDefault(fileName);
}
