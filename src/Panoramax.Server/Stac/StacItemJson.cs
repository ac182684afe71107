using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>
/// Writes the STAC Item of a picture exactly as GeoVisio shapes it (what the viewer and the harvester read).
/// Items are streamed with a <see cref="Utf8JsonWriter"/>: search and item lists are the hottest answers, and
/// EXIF/tags go out as the raw jsonb text PostgreSQL gave us, never parsed.
/// </summary>
public static class StacItemJson
{
    public const string ViewExtension = "https://stac-extensions.github.io/view/v1.0.0/schema.json";
    public const string PerspectiveExtension = "https://stac-extensions.github.io/perspective-imagery/v1.0.0/schema.json";
    public const string TiledAssetsExtension = "https://stac-extensions.github.io/tiled-assets/v1.0.0/schema.json";

    // Property names and constant values pre-encoded once: an item has ~90 of them and lists write thousands.
    private static class N
    {
        // The API's relaxed encoder: the default one would escape the + of application/geo+json.
        private static JsonEncodedText E(string text) => JsonEncodedText.Encode(text, ApiJson.Options.Encoder);

        public static readonly JsonEncodedText Type = E("type"), Feature = E("Feature"),
            StacVersion = E("stac_version"), V100 = E("1.0.0"),
            StacExtensions = E("stac_extensions"), View = E(ViewExtension),
            Perspective = E(PerspectiveExtension), Tiled = E(TiledAssetsExtension),
            Id = E("id"), Collection = E("collection"), Geometry = E("geometry"),
            Bbox = E("bbox"), Properties = E("properties"), Datetime = E("datetime"),
            Datetimetz = E("datetimetz"), Created = E("created"), Updated = E("updated"),
            License = E("license"), Azimuth = E("view:azimuth"), Pitch = E("pers:pitch"),
            Roll = E("pers:roll"), Interior = E("pers:interior_orientation"),
            Manufacturer = E("camera_manufacturer"), Model = E("camera_model"),
            FocalLength = E("focal_length"), FieldOfView = E("field_of_view"),
            Sensor = E("sensor_array_dimensions"), Status = E("geovisio:status"),
            Visibility = E("geovisio:visibility"), Producer = E("geovisio:producer"),
            Rank = E("geovisio:rank_in_collection"), Image = E("geovisio:image"),
            Thumbnail = E("geovisio:thumbnail"), FileName = E("original_file:name"),
            FileSize = E("original_file:size"), Density = E("panoramax:horizontal_pixel_density"),
            Accuracy = E("quality:horizontal_accuracy"), Exif = E("exif"),
            Semantics = E("semantics"), Annotations = E("annotations"),
            Providers = E("providers"), Name = E("name"), Roles = E("roles"),
            ProducerRole = E("producer"), Assets = E("assets"), Links = E("links"),
            Rel = E("rel"), Href = E("href"), Title = E("title"),
            Description = E("description"), Jpeg = E("image/jpeg"),
            Point = E("Point"), Coordinates = E("coordinates"),
            Json = E(ApiJson.Json), GeoJson = E(ApiJson.GeoJson), Html = E("text/html"),
            Hd = E("hd"), Sd = E("sd"), Thumb = E("thumb"),
            HdTitle = E("Highest resolution picture"), SdTitle = E("High resolution picture"),
            ThumbTitle = E("Picture thumbnail"), Data = E("data"), Visual = E("visual"),
            ThumbnailRole = E("thumbnail"), Root = E("root"), Parent = E("parent"),
            Self = E("self"), CatalogTitle = E("Instance catalog"), Sequence = E("Sequence"),
            Prev = E("prev"), Next = E("next"), Related = E("related");
    }

    // Fixed pieces of the hrefs, as UTF-8.
    private static ReadOnlySpan<byte> PicturesPath => "/api/pictures/"u8;
    private static ReadOnlySpan<byte> CollectionsPath => "/api/collections/"u8;
    private static ReadOnlySpan<byte> ItemsPath => "/items/"u8;

    public static void Write(Utf8JsonWriter w, ItemRow row, LinkBuilder links, string instanceLicense, IReadOnlyList<Neighbour>? related = null)
    {
        var is360 = row.Kind == "equirectangular";
        var tiled = is360 && row.TileCols is not null && row.TileRows is not null;
        var id = row.Id;
        var license = row.License ?? instanceLicense;
        var b = links.BaseUtf8;
        Span<byte> time = stackalloc byte[StacTime.MaxUtf8Length];
        // Files stay on their origin: replicated pictures link there; local ones take the allocation-free path.
        var remote = RemoteAssets.Parse(row.RemoteAssetsJson);

        w.WriteStartObject();
        w.WriteString(N.Type, N.Feature);
        w.WriteString(N.StacVersion, N.V100);
        w.WriteStartArray(N.StacExtensions);
        w.WriteStringValue(N.View);
        w.WriteStringValue(N.Perspective);
        if (tiled)
        {
            w.WriteStringValue(N.Tiled);
        }
        w.WriteEndArray();
        w.WriteString(N.Id, id);
        w.WriteString(N.Collection, row.SequenceId);
        w.WritePropertyName(N.Geometry);
        WritePoint(w, row.Lon, row.Lat);
        w.WriteStartArray(N.Bbox);
        w.WriteNumberValue(row.Lon);
        w.WriteNumberValue(row.Lat);
        w.WriteNumberValue(row.Lon);
        w.WriteNumberValue(row.Lat);
        w.WriteEndArray();

        w.WriteStartObject(N.Properties);
        w.WriteString(N.Datetime, time[..StacTime.Utf8(row.CapturedAt, null, time)]);
        w.WriteString(N.Datetimetz, time[..StacTime.Utf8(row.CapturedAt, row.UtcOffsetMinutes is { } off ? TimeSpan.FromMinutes(off) : null, time)]);
        w.WriteString(N.Created, time[..StacTime.Utf8(row.CreatedAt, null, time)]);
        w.WriteString(N.Updated, time[..StacTime.Utf8(row.UpdatedAt, null, time)]);
        w.WriteString(N.License, license);
        if (row.Heading is { } heading)
        {
            w.WriteNumber(N.Azimuth, (int)Math.Round(heading) % 360);
        }
        if (row.Pitch is { } pitch)
        {
            w.WriteNumber(N.Pitch, pitch);
        }
        if (row.Roll is { } roll)
        {
            w.WriteNumber(N.Roll, roll);
        }
        w.WriteStartObject(N.Interior);
        if (row.CameraMake is not null)
        {
            w.WriteString(N.Manufacturer, row.CameraMake);
        }
        if (row.CameraModel is not null)
        {
            w.WriteString(N.Model, row.CameraModel);
        }
        if (row.FocalLength is { } focal)
        {
            w.WriteNumber(N.FocalLength, focal);
        }
        if (is360)
        {
            w.WriteNumber(N.FieldOfView, 360);
        }
        else if (row.FieldOfView is { } fov)
        {
            w.WriteNumber(N.FieldOfView, Math.Round(fov));
        }
        if (row.Width > 0 && row.Height > 0)
        {
            w.WriteStartArray(N.Sensor);
            w.WriteNumberValue(row.Width);
            w.WriteNumberValue(row.Height);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteString(N.Status, row.Status);
        w.WriteString(N.Visibility, row.Visibility);
        w.WriteString(N.Producer, row.AccountName);
        w.WriteNumber(N.Rank, row.Rank);
        if (remote is null)
        {
            WriteUrl(w, N.Image, b, PicturesPath, id, "/hd.jpg"u8);
            WriteUrl(w, N.Thumbnail, b, PicturesPath, id, "/thumb.jpg"u8);
        }
        else
        {
            w.WriteString(N.Image, remote.Hd);
            w.WriteString(N.Thumbnail, remote.Thumb);
        }
        w.WriteString(N.FileName, row.OriginalFileName);
        w.WriteNumber(N.FileSize, row.OriginalFileSize);
        if (row.HorizontalPixelDensity is { } density)
        {
            w.WriteNumber(N.Density, density);
        }
        if (row.GpsAccuracy is { } acc)
        {
            w.WriteNumber(N.Accuracy, Math.Round(acc, 1));
        }
        w.WritePropertyName(N.Exif);
        w.WriteRawValue(row.ExifJson, skipInputValidation: true);
        w.WritePropertyName(N.Semantics);
        w.WriteRawValue(row.SemanticsJson, skipInputValidation: true);
        w.WriteStartArray(N.Annotations);
        w.WriteEndArray();
        w.WriteStartObject(N.Collection);
        w.WritePropertyName(N.Semantics);
        w.WriteRawValue(row.SequenceSemanticsJson, skipInputValidation: true);
        w.WriteEndObject();
        w.WriteStartArray(N.Providers);
        w.WriteStartObject();
        w.WriteString(N.Name, row.AccountName);
        w.WriteStartArray(N.Roles);
        w.WriteStringValue(N.ProducerRole);
        w.WriteEndArray();
        w.WriteString(N.Id, row.AccountId);
        w.WriteEndObject();
        w.WriteEndArray();
        if (tiled)
        {
            var cols = row.TileCols!.Value;
            var rows = row.TileRows!.Value;
            w.WriteStartObject("tiles:tile_matrix_sets");
            w.WriteStartObject("geovisio");
            w.WriteString("type", "TileMatrixSetType");
            w.WriteString("title", "GeoVisio tile matrix for picture " + id);
            w.WriteString("identifier", "geovisio-" + id);
            w.WriteStartArray("tileMatrix");
            w.WriteStartObject();
            w.WriteString("type", "TileMatrixType");
            w.WriteString("identifier", "0");
            w.WriteNumber("scaleDenominator", 1);
            w.WriteStartArray("topLeftCorner");
            w.WriteNumberValue(0);
            w.WriteNumberValue(0);
            w.WriteEndArray();
            w.WriteNumber("tileWidth", row.Width / cols);
            w.WriteNumber("tileHeight", row.Height / rows);
            w.WriteNumber("matrixWidth", cols);
            w.WriteNumber("matrixHeight", rows);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteStartObject(N.Assets);
        if (remote is null)
        {
            WriteAsset(w, N.Hd, b, id, "/hd.jpg"u8, N.HdTitle, N.Data);
            WriteAsset(w, N.Sd, b, id, "/sd.jpg"u8, N.SdTitle, N.Visual);
            WriteAsset(w, N.Thumb, b, id, "/thumb.jpg"u8, N.ThumbTitle, N.ThumbnailRole);
        }
        else
        {
            WriteRemoteAsset(w, N.Hd, remote.Hd, N.HdTitle, N.Data);
            WriteRemoteAsset(w, N.Sd, remote.Sd, N.SdTitle, N.Visual);
            WriteRemoteAsset(w, N.Thumb, remote.Thumb, N.ThumbTitle, N.ThumbnailRole);
        }
        w.WriteEndObject();
        if (tiled)
        {
            w.WriteStartObject("asset_templates");
            w.WriteStartObject("tiles");
            w.WriteString("title", "HD tiled picture");
            w.WriteString("href", remote?.Tiles ?? links.Api($"/api/pictures/{id}/tiled/{{TileCol}}_{{TileRow}}.jpg"));
            w.WriteStartArray("roles");
            w.WriteStringValue("data");
            w.WriteEndArray();
            w.WriteString("type", "image/jpeg");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteStartArray(N.Links);
        WriteLink(w, N.Root, b, "/api"u8, N.Json, N.CatalogTitle);
        WriteCollectionLink(w, N.Parent, b, row.SequenceId);
        WriteCollectionLink(w, N.Collection, b, row.SequenceId);
        w.WriteStartObject();
        w.WriteString(N.Rel, N.Self);
        WriteItemUrl(w, N.Href, b, row.SequenceId, id);
        w.WriteString(N.Type, N.GeoJson);
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString(N.Rel, N.License);
        w.WriteString(N.Href, LicenseUrl(license));
        w.WriteString(N.Type, N.Html);
        w.WriteString(N.Title, license);
        w.WriteEndObject();
        if (row.Prev is { } prev)
        {
            WriteNeighbour(w, N.Prev, prev, b, withDate: false, time);
        }
        if (row.Next is { } next)
        {
            WriteNeighbour(w, N.Next, next, b, withDate: false, time);
        }
        foreach (var r in related ?? [])
        {
            WriteNeighbour(w, N.Related, r, b, withDate: true, time);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> LicenseUrls = new(StringComparer.Ordinal);

    /// <summary>An instance has a handful of licences: their SPDX URLs are built once.</summary>
    private static string LicenseUrl(string license) =>
        LicenseUrls.Count < 256 ? LicenseUrls.GetOrAdd(license, l => $"https://spdx.org/licenses/{l}.html") : $"https://spdx.org/licenses/{license}.html";

    private static void WriteAsset(Utf8JsonWriter w, JsonEncodedText name, ReadOnlySpan<byte> b, Guid id, ReadOnlySpan<byte> file, JsonEncodedText title, JsonEncodedText role)
    {
        w.WriteStartObject(name);
        w.WriteString(N.Title, title);
        w.WriteString(N.Description, title);
        w.WriteStartArray(N.Roles);
        w.WriteStringValue(role);
        w.WriteEndArray();
        w.WriteString(N.Type, N.Jpeg);
        WriteUrl(w, N.Href, b, PicturesPath, id, file);
        w.WriteEndObject();
    }

    /// <summary>An asset of a replicated picture: the href its origin published.</summary>
    private static void WriteRemoteAsset(Utf8JsonWriter w, JsonEncodedText name, string? href, JsonEncodedText title, JsonEncodedText role)
    {
        w.WriteStartObject(name);
        w.WriteString(N.Title, title);
        w.WriteString(N.Description, title);
        w.WriteStartArray(N.Roles);
        w.WriteStringValue(role);
        w.WriteEndArray();
        w.WriteString(N.Type, N.Jpeg);
        w.WriteString(N.Href, href);
        w.WriteEndObject();
    }

    private static void WriteLink(Utf8JsonWriter w, JsonEncodedText rel, ReadOnlySpan<byte> b, ReadOnlySpan<byte> path, JsonEncodedText type, JsonEncodedText title)
    {
        w.WriteStartObject();
        w.WriteString(N.Rel, rel);
        Span<byte> url = stackalloc byte[b.Length + path.Length];
        b.CopyTo(url);
        path.CopyTo(url[b.Length..]);
        w.WriteString(N.Href, url);
        w.WriteString(N.Type, type);
        w.WriteString(N.Title, title);
        w.WriteEndObject();
    }

    private static void WriteCollectionLink(Utf8JsonWriter w, JsonEncodedText rel, ReadOnlySpan<byte> b, Guid sequenceId)
    {
        w.WriteStartObject();
        w.WriteString(N.Rel, rel);
        WriteUrl(w, N.Href, b, CollectionsPath, sequenceId, default);
        w.WriteString(N.Type, N.Json);
        w.WriteString(N.Title, N.Sequence);
        w.WriteEndObject();
    }

    private static void WriteNeighbour(Utf8JsonWriter w, JsonEncodedText rel, Neighbour n, ReadOnlySpan<byte> b, bool withDate, Span<byte> time)
    {
        w.WriteStartObject();
        w.WriteString(N.Rel, rel);
        w.WriteString(N.Type, N.GeoJson);
        w.WriteString(N.Id, n.Id);
        w.WritePropertyName(N.Geometry);
        WritePoint(w, n.Lon, n.Lat);
        WriteItemUrl(w, N.Href, b, n.SequenceId, n.Id);
        if (withDate)
        {
            w.WriteString(N.Datetime, time[..StacTime.Utf8(n.CapturedAt, null, time)]);
        }
        w.WriteEndObject();
    }

    /// <summary>Writes base + path + id + suffix as a string value, assembled on the stack (no intermediate string).</summary>
    private static void WriteUrl(Utf8JsonWriter w, JsonEncodedText name, ReadOnlySpan<byte> b, ReadOnlySpan<byte> path, Guid id, ReadOnlySpan<byte> suffix)
    {
        Span<byte> url = stackalloc byte[b.Length + path.Length + 36 + suffix.Length];
        b.CopyTo(url);
        var i = b.Length;
        path.CopyTo(url[i..]);
        i += path.Length;
        id.TryFormat(url[i..], out var written);
        i += written;
        suffix.CopyTo(url[i..]);
        w.WriteString(name, url[..(i + suffix.Length)]);
    }

    /// <summary>{base}/api/collections/{sequence}/items/{id}.</summary>
    private static void WriteItemUrl(Utf8JsonWriter w, JsonEncodedText name, ReadOnlySpan<byte> b, Guid sequenceId, Guid id)
    {
        Span<byte> url = stackalloc byte[b.Length + CollectionsPath.Length + 36 + ItemsPath.Length + 36];
        b.CopyTo(url);
        var i = b.Length;
        CollectionsPath.CopyTo(url[i..]);
        i += CollectionsPath.Length;
        sequenceId.TryFormat(url[i..], out var written);
        i += written;
        ItemsPath.CopyTo(url[i..]);
        i += ItemsPath.Length;
        id.TryFormat(url[i..], out written);
        w.WriteString(name, url[..(i + written)]);
    }

    private static void WritePoint(Utf8JsonWriter w, double lon, double lat)
    {
        w.WriteStartObject();
        w.WriteString(N.Type, N.Point);
        w.WriteStartArray(N.Coordinates);
        w.WriteNumberValue(lon);
        w.WriteNumberValue(lat);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>One item as a geo+json answer.</summary>
    public static IResult Item(ItemRow row, LinkBuilder links, string license, IReadOnlyList<Neighbour>? related) =>
        new JsonAnswer(ApiJson.GeoJson, (a, _) =>
        {
            Write(a.Writer, row, links, license, related);
            return Task.CompletedTask;
        });

    private static readonly JsonWriterOptions CompactWriter = new() { Encoder = ApiJson.Options.Encoder };

    /// <summary>One Item as UTF-8 JSON, for answers that travel as documents (the federation feed, live search).</summary>
    public static byte[] ToUtf8(ItemRow row, LinkBuilder links, string instanceLicense)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, CompactWriter))
        {
            Write(w, row, links, instanceLicense);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A FeatureCollection of items with the given links.</summary>
    public static IResult FeatureCollection(IReadOnlyList<ItemRow> rows, LinkBuilder links, string license, JsonArray collectionLinks) =>
        FeatureCollection(rows, links, license, collectionLinks, [], null);

    /// <summary>
    /// A FeatureCollection of items, then of ready-made Item documents (a live federated search's answers from peers),
    /// with the given links and an optional <c>federation</c> member (the peers' statuses).
    /// </summary>
    /// <param name="rows">Local items.</param>
    /// <param name="links">Link builder of this request.</param>
    /// <param name="license">Instance licence.</param>
    /// <param name="collectionLinks">Links of the collection.</param>
    /// <param name="extraFeatures">STAC Item documents written after the local ones, as they are (checked to be JSON).</param>
    /// <param name="federation">The <c>federation</c> member, or null for none.</param>
    public static IResult FeatureCollection(IReadOnlyList<ItemRow> rows, LinkBuilder links, string license, JsonArray collectionLinks,
        IReadOnlyList<byte[]> extraFeatures, JsonObject? federation) =>
        new JsonAnswer(ApiJson.GeoJson, async (a, ct) =>
        {
            var w = a.Writer;
            w.WriteStartObject();
            w.WriteString(N.Type, FeatureCollectionType);
            w.WriteStartArray("features");
            foreach (var row in rows)
            {
                Write(w, row, links, license);
                // The JSON of a 10,000-item page is never held whole in memory (its rows are: the connection is free before we write).
                await a.CheckpointAsync(ct);
            }
            foreach (var feature in extraFeatures)
            {
                w.WriteRawValue(feature);
                await a.CheckpointAsync(ct);
            }
            w.WriteEndArray();
            w.WritePropertyName(N.Links);
            collectionLinks.WriteTo(w);
            if (federation is not null)
            {
                w.WritePropertyName("federation");
                federation.WriteTo(w);
            }
            w.WriteEndObject();
        });

    private static readonly JsonEncodedText FeatureCollectionType = JsonEncodedText.Encode("FeatureCollection");
}

/// <summary>The origin's file hrefs stored with a replicated picture.</summary>
internal sealed record RemoteAssets(string? Hd, string? Sd, string? Thumb, string? Tiles)
{
    public static RemoteAssets? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        string? Get(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new RemoteAssets(Get("hd"), Get("sd"), Get("thumb"), Get("tiles"));
    }
}
