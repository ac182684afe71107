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

    public static void Write(Utf8JsonWriter w, ItemRow row, LinkBuilder links, string instanceLicense, IReadOnlyList<Neighbour>? related = null)
    {
        var is360 = row.Kind == "equirectangular";
        var tiled = is360 && row.TileCols is not null && row.TileRows is not null;
        var id = row.Id;
        var license = row.License ?? instanceLicense;
        // Files stay on their origin: replicated pictures link there, local ones here.
        var remote = RemoteAssets.Parse(row.RemoteAssetsJson);
        var hd = remote?.Hd ?? links.Api($"/api/pictures/{id}/hd.jpg");
        var thumb = remote?.Thumb ?? links.Api($"/api/pictures/{id}/thumb.jpg");
        var sd = remote?.Sd ?? links.Api($"/api/pictures/{id}/sd.jpg");
        var tilesHref = remote?.Tiles ?? links.Api($"/api/pictures/{id}/tiled/{{TileCol}}_{{TileRow}}.jpg");

        w.WriteStartObject();
        w.WriteString("type", "Feature");
        w.WriteString("stac_version", "1.0.0");
        w.WriteStartArray("stac_extensions");
        w.WriteStringValue(ViewExtension);
        w.WriteStringValue(PerspectiveExtension);
        if (tiled)
        {
            w.WriteStringValue(TiledAssetsExtension);
        }
        w.WriteEndArray();
        w.WriteString("id", id);
        w.WriteString("collection", row.SequenceId);
        w.WritePropertyName("geometry");
        WritePoint(w, row.Lon, row.Lat);
        w.WriteStartArray("bbox");
        w.WriteNumberValue(row.Lon);
        w.WriteNumberValue(row.Lat);
        w.WriteNumberValue(row.Lon);
        w.WriteNumberValue(row.Lat);
        w.WriteEndArray();

        w.WriteStartObject("properties");
        w.WriteString("datetime", StacTime.Utc(row.CapturedAt));
        w.WriteString("datetimetz", row.UtcOffsetMinutes is { } off ? StacTime.InOffset(row.CapturedAt, TimeSpan.FromMinutes(off)) : StacTime.Utc(row.CapturedAt));
        w.WriteString("created", StacTime.Utc(row.CreatedAt));
        w.WriteString("updated", StacTime.Utc(row.UpdatedAt));
        w.WriteString("license", license);
        if (row.Heading is { } heading)
        {
            w.WriteNumber("view:azimuth", (int)Math.Round(heading) % 360);
        }
        if (row.Pitch is { } pitch)
        {
            w.WriteNumber("pers:pitch", pitch);
        }
        if (row.Roll is { } roll)
        {
            w.WriteNumber("pers:roll", roll);
        }
        w.WriteStartObject("pers:interior_orientation");
        if (row.CameraMake is not null)
        {
            w.WriteString("camera_manufacturer", row.CameraMake);
        }
        if (row.CameraModel is not null)
        {
            w.WriteString("camera_model", row.CameraModel);
        }
        if (row.FocalLength is { } focal)
        {
            w.WriteNumber("focal_length", focal);
        }
        if (is360)
        {
            w.WriteNumber("field_of_view", 360);
        }
        else if (row.FieldOfView is { } fov)
        {
            w.WriteNumber("field_of_view", Math.Round(fov));
        }
        if (row.Width > 0 && row.Height > 0)
        {
            w.WriteStartArray("sensor_array_dimensions");
            w.WriteNumberValue(row.Width);
            w.WriteNumberValue(row.Height);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteString("geovisio:status", row.Status);
        w.WriteString("geovisio:visibility", row.Visibility);
        w.WriteString("geovisio:producer", row.AccountName);
        w.WriteNumber("geovisio:rank_in_collection", row.Rank);
        w.WriteString("geovisio:image", hd);
        w.WriteString("geovisio:thumbnail", thumb);
        w.WriteString("original_file:name", row.OriginalFileName);
        w.WriteNumber("original_file:size", row.OriginalFileSize);
        if (row.HorizontalPixelDensity is { } density)
        {
            w.WriteNumber("panoramax:horizontal_pixel_density", density);
        }
        if (row.GpsAccuracy is { } acc)
        {
            w.WriteNumber("quality:horizontal_accuracy", Math.Round(acc, 1));
        }
        w.WritePropertyName("exif");
        w.WriteRawValue(row.ExifJson, skipInputValidation: true);
        w.WritePropertyName("semantics");
        w.WriteRawValue(row.SemanticsJson, skipInputValidation: true);
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        w.WriteStartObject("collection");
        w.WritePropertyName("semantics");
        w.WriteRawValue(row.SequenceSemanticsJson, skipInputValidation: true);
        w.WriteEndObject();
        w.WriteStartArray("providers");
        w.WriteStartObject();
        w.WriteString("name", row.AccountName);
        w.WriteStartArray("roles");
        w.WriteStringValue("producer");
        w.WriteEndArray();
        w.WriteString("id", row.AccountId);
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

        w.WriteStartObject("assets");
        WriteAsset(w, "hd", hd, "Highest resolution picture", "data");
        WriteAsset(w, "sd", sd, "High resolution picture", "visual");
        WriteAsset(w, "thumb", thumb, "Picture thumbnail", "thumbnail");
        w.WriteEndObject();
        if (tiled)
        {
            w.WriteStartObject("asset_templates");
            w.WriteStartObject("tiles");
            w.WriteString("title", "HD tiled picture");
            w.WriteString("href", tilesHref);
            w.WriteStartArray("roles");
            w.WriteStringValue("data");
            w.WriteEndArray();
            w.WriteString("type", "image/jpeg");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        var collectionUrl = links.Api($"/api/collections/{row.SequenceId}");
        w.WriteStartArray("links");
        WriteLink(w, "root", links.Api("/api"), ApiJson.Json, "Instance catalog");
        WriteLink(w, "parent", collectionUrl, ApiJson.Json, "Sequence");
        WriteLink(w, "collection", collectionUrl, ApiJson.Json, "Sequence");
        WriteLink(w, "self", links.Api($"/api/collections/{row.SequenceId}/items/{id}"), ApiJson.GeoJson);
        WriteLink(w, "license", $"https://spdx.org/licenses/{license}.html", "text/html", license);
        if (row.Prev is { } prev)
        {
            WriteNeighbour(w, "prev", prev, links, withDate: false);
        }
        if (row.Next is { } next)
        {
            WriteNeighbour(w, "next", next, links, withDate: false);
        }
        foreach (var r in related ?? [])
        {
            WriteNeighbour(w, "related", r, links, withDate: true);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteAsset(Utf8JsonWriter w, string name, string href, string title, string role)
    {
        w.WriteStartObject(name);
        w.WriteString("title", title);
        w.WriteString("description", title);
        w.WriteStartArray("roles");
        w.WriteStringValue(role);
        w.WriteEndArray();
        w.WriteString("type", "image/jpeg");
        w.WriteString("href", href);
        w.WriteEndObject();
    }

    private static void WriteLink(Utf8JsonWriter w, string rel, string href, string type, string? title = null)
    {
        w.WriteStartObject();
        w.WriteString("rel", rel);
        w.WriteString("href", href);
        w.WriteString("type", type);
        if (title is not null)
        {
            w.WriteString("title", title);
        }
        w.WriteEndObject();
    }

    private static void WriteNeighbour(Utf8JsonWriter w, string rel, Neighbour n, LinkBuilder links, bool withDate)
    {
        w.WriteStartObject();
        w.WriteString("rel", rel);
        w.WriteString("type", ApiJson.GeoJson);
        w.WriteString("id", n.Id);
        w.WritePropertyName("geometry");
        WritePoint(w, n.Lon, n.Lat);
        w.WriteString("href", links.Api($"/api/collections/{n.SequenceId}/items/{n.Id}"));
        if (withDate)
        {
            w.WriteString("datetime", StacTime.Utc(n.CapturedAt));
        }
        w.WriteEndObject();
    }

    private static void WritePoint(Utf8JsonWriter w, double lon, double lat)
    {
        w.WriteStartObject();
        w.WriteString("type", "Point");
        w.WriteStartArray("coordinates");
        w.WriteNumberValue(lon);
        w.WriteNumberValue(lat);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = ApiJson.Options.Encoder };

    /// <summary>One item as a geo+json answer.</summary>
    public static IResult Item(ItemRow row, LinkBuilder links, string license, IReadOnlyList<Neighbour>? related) =>
        new StreamedJson((w, _) =>
        {
            Write(w, row, links, license, related);
            return Task.CompletedTask;
        });

    /// <summary>A FeatureCollection of items with the given links, streamed.</summary>
    public static IResult FeatureCollection(IReadOnlyList<ItemRow> rows, LinkBuilder links, string license, JsonArray collectionLinks) =>
        new StreamedJson(async (w, ct) =>
        {
            w.WriteStartObject();
            w.WriteString("type", "FeatureCollection");
            w.WriteStartArray("features");
            foreach (var row in rows)
            {
                Write(w, row, links, license);
                // Hand full buffers to the connection so a 10,000-item page is never held whole in memory.
                if (w.BytesPending > 64 * 1024)
                {
                    await w.FlushAsync(ct);
                }
            }
            w.WriteEndArray();
            w.WritePropertyName("links");
            collectionLinks.WriteTo(w);
            w.WriteEndObject();
        });

    /// <summary>Writes straight into the response body (flushing as the buffer fills), as application/geo+json.</summary>
    private sealed class StreamedJson(Func<Utf8JsonWriter, CancellationToken, Task> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.ContentType = ApiJson.GeoJson;
            await using var w = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
            await write(w, context.RequestAborted);
            await w.FlushAsync(context.RequestAborted);
        }
    }
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
