namespace Panoramax.Storage;

/// <summary>Content type from a key's extension: the filesystem keeps no metadata, and S3 callers may omit it.</summary>
public static class ContentTypes
{
    public const string Default = "application/octet-stream";

    public static string FromKey(string key) => Path.GetExtension(key).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".json" => "application/json",
        ".mvt" or ".pbf" => "application/vnd.mapbox-vector-tile",
        ".txt" => "text/plain",
        _ => Default,
    };
}
