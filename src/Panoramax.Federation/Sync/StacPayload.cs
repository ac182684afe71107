using System.Globalization;
using System.Text.Json;
using Panoramax.Persistence;

namespace Panoramax.Federation.Sync;

/// <summary>What a replicated picture row needs, read back from the origin's STAC Item.</summary>
public sealed record PictureCopy(
    Guid Id, Guid SequenceId, Guid AccountId, string AccountName, int Rank, double Lon, double Lat,
    DateTimeOffset CapturedAt, short? UtcOffsetMinutes, double? Heading, double? Pitch, double? Roll, bool Is360,
    string? CameraMake, string? CameraModel, double? FocalLength, double? FieldOfView, int Width, int Height,
    double? GpsAccuracy, int? HorizontalPixelDensity, string OriginalFileName, long OriginalFileSize, string? License,
    string ExifJson, string SemanticsJson, int? TileCols, int? TileRows, string RemoteAssetsJson,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What a replicated sequence row needs, read back from the origin's STAC Collection.</summary>
public sealed record SequenceCopy(
    Guid Id, Guid AccountId, string AccountName, string Title, string? License, string SortedBy, string UploadSoftware,
    string SemanticsJson, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Reads the STAC documents of the feed (as our StacItemJson/StacCollectionJson and GeoVisio write them).</summary>
public static class StacPayload
{
    public static PictureCopy ReadPicture(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        EnsureStorable(json, root);
        var p = root.GetProperty("properties");
        var coords = root.GetProperty("geometry").GetProperty("coordinates");
        var (lon, lat) = (coords[0].GetDouble(), coords[1].GetDouble());
        if (lon is < -180 or > 180 || lat is < -90 or > 90)
        {
            // Uploads refuse such positions; a replica must not bring one into extents, tiles and searches.
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"the picture's position ({lon}, {lat}) is not a longitude and latitude in degrees"));
        }
        // Items carry providers in properties (GeoVisio's shape), collections at the root.
        var provider = (p.TryGetProperty("providers", out var pp) ? pp : root.GetProperty("providers"))[0];
        var io = p.TryGetProperty("pers:interior_orientation", out var o) ? o : default;
        var fov = Num(io, "field_of_view");
        int width = 0, height = 0;
        if (io.ValueKind == JsonValueKind.Object && io.TryGetProperty("sensor_array_dimensions", out var dims) && dims.GetArrayLength() == 2)
        {
            width = dims[0].GetInt32();
            height = dims[1].GetInt32();
        }
        int? cols = null, rows = null;
        if (p.TryGetProperty("tiles:tile_matrix_sets", out var tms) && tms.TryGetProperty("geovisio", out var g)
            && g.TryGetProperty("tileMatrix", out var tm) && tm.GetArrayLength() > 0)
        {
            cols = tm[0].GetProperty("matrixWidth").GetInt32();
            rows = tm[0].GetProperty("matrixHeight").GetInt32();
        }
        var assets = root.GetProperty("assets");
        var remote = new Dictionary<string, string>
        {
            ["hd"] = assets.GetProperty("hd").GetProperty("href").GetString()!,
            ["sd"] = assets.GetProperty("sd").GetProperty("href").GetString()!,
            ["thumb"] = assets.GetProperty("thumb").GetProperty("href").GetString()!,
        };
        if (root.TryGetProperty("asset_templates", out var at) && at.TryGetProperty("tiles", out var tiles))
        {
            remote["tiles"] = tiles.GetProperty("href").GetString()!;
        }
        foreach (var (asset, href) in remote)
        {
            // The viewer loads these from the origin: nothing but web addresses (no javascript:, data: or file: URLs).
            if (!WebText.TryHttpUrl(href, out _))
            {
                throw new FormatException($"the picture's {asset} asset is not an http(s) URL");
            }
        }
        var captured = Time(p.GetProperty("datetime"));
        short? offset = null;
        if (p.TryGetProperty("datetimetz", out var tz) && tz.GetString() is { } tzText
            && DateTimeOffset.TryParse(tzText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            offset = (short)local.Offset.TotalMinutes;
        }
        return new PictureCopy(
            Guid.Parse(root.GetProperty("id").GetString()!),
            Guid.Parse(root.GetProperty("collection").GetString()!),
            Guid.Parse(provider.GetProperty("id").GetString()!),
            provider.GetProperty("name").GetString() ?? "",
            p.TryGetProperty("geovisio:rank_in_collection", out var rank) ? rank.GetInt32() : 1,
            lon, lat,
            captured, offset,
            Num(p, "view:azimuth"), Num(p, "pers:pitch"), Num(p, "pers:roll"),
            fov is >= 360,
            Str(io, "camera_manufacturer"), Str(io, "camera_model"), Num(io, "focal_length"), fov,
            width, height,
            Num(p, "quality:horizontal_accuracy"),
            Num(p, "panoramax:horizontal_pixel_density") is { } d ? (int)d : null,
            Str(p, "original_file:name") ?? "picture.jpg",
            Num(p, "original_file:size") is { } size ? (long)size : 0,
            Str(p, "license"),
            p.TryGetProperty("exif", out var exif) && exif.ValueKind == JsonValueKind.Object ? exif.GetRawText() : "{}",
            p.TryGetProperty("semantics", out var sem) && sem.ValueKind == JsonValueKind.Array ? sem.GetRawText() : "[]",
            cols, rows,
            JsonSerializer.Serialize(remote),
            p.TryGetProperty("created", out var c) ? Time(c) : captured,
            p.TryGetProperty("updated", out var u) ? Time(u) : captured);
    }

    public static SequenceCopy ReadSequence(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        EnsureStorable(json, root);
        var provider = root.GetProperty("providers")[0];
        var created = root.TryGetProperty("created", out var c) ? Time(c) : DateTimeOffset.UnixEpoch;
        return new SequenceCopy(
            Guid.Parse(root.GetProperty("id").GetString()!),
            Guid.Parse(provider.GetProperty("id").GetString()!),
            provider.GetProperty("name").GetString() ?? "",
            WebText.Cut(Str(root, "title") ?? "", 250),
            Str(root, "license"),
            WebText.Cut(Str(root, "geovisio:sorted-by") ?? "+gpsdate", 20),
            WebText.Cut(Str(root, "geovisio:upload-software") ?? "unknown", 20),
            root.TryGetProperty("semantics", out var sem) && sem.ValueKind == JsonValueKind.Array ? sem.GetRawText() : "[]",
            created,
            root.TryGetProperty("updated", out var u) ? Time(u) : created);
    }

    public static (Guid Id, string Name) ReadAccount(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        EnsureStorable(json, root);
        return (Guid.Parse(root.GetProperty("id").GetString()!), WebText.Cut(root.GetProperty("name").GetString() ?? "", 200));
    }

    /// <summary>
    /// A payload signed elsewhere may hold a NUL or a lone surrogate, which PostgreSQL refuses: read as unreadable (the
    /// entry is kept and relayed, not applied) rather than failing the batch on every pull.
    /// </summary>
    private static void EnsureStorable(string json, JsonElement root)
    {
        if (StorableJson.MayHoldUnstorable(json) && StorableJson.FirstUnstorableString(root) is { } path)
        {
            throw new FormatException($"the document has a string PostgreSQL cannot store (a NUL character or a lone surrogate) at ${path}");
        }
    }

    /// <summary>What the readers throw on a document that lacks a field or holds one of the wrong type.</summary>
    public static bool IsUnreadable(Exception e) =>
        e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or IndexOutOfRangeException or ArgumentException;

    private static DateTimeOffset Time(JsonElement e) => DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();

    private static double? Num(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string? Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

}
