using System.Text.Json.Nodes;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>Builds the STAC Item of a picture exactly as GeoVisio shapes it (what the viewer and the harvester read).</summary>
public static class StacItemJson
{
    public const string ViewExtension = "https://stac-extensions.github.io/view/v1.0.0/schema.json";
    public const string PerspectiveExtension = "https://stac-extensions.github.io/perspective-imagery/v1.0.0/schema.json";
    public const string TiledAssetsExtension = "https://stac-extensions.github.io/tiled-assets/v1.0.0/schema.json";

    public static JsonObject Build(ItemRow row, LinkBuilder links, string instanceLicense, IReadOnlyList<Neighbour>? related = null)
    {
        var is360 = row.Kind == "equirectangular";
        var id = row.Id;
        var license = row.License ?? instanceLicense;
        var extensions = new JsonArray(ViewExtension, PerspectiveExtension);
        if (is360 && row.TileCols is not null)
        {
            extensions.Add(TiledAssetsExtension);
        }

        var interior = new JsonObject();
        AddIfNotNull(interior, "camera_manufacturer", row.CameraMake);
        AddIfNotNull(interior, "camera_model", row.CameraModel);
        AddIfNotNull(interior, "focal_length", row.FocalLength);
        if (is360)
        {
            interior["field_of_view"] = 360;
        }
        else if (row.FieldOfView is { } fov)
        {
            interior["field_of_view"] = Math.Round(fov);
        }
        if (row.Width > 0 && row.Height > 0)
        {
            interior["sensor_array_dimensions"] = new JsonArray(row.Width, row.Height);
        }

        var hd = links.Api($"/api/pictures/{id}/hd.jpg");
        var thumb = links.Api($"/api/pictures/{id}/thumb.jpg");
        var props = new JsonObject
        {
            ["datetime"] = StacTime.Utc(row.CapturedAt),
            ["datetimetz"] = row.UtcOffsetMinutes is { } off ? StacTime.InOffset(row.CapturedAt, TimeSpan.FromMinutes(off)) : StacTime.Utc(row.CapturedAt),
            ["created"] = StacTime.Utc(row.CreatedAt),
            ["updated"] = StacTime.Utc(row.UpdatedAt),
            ["license"] = license,
        };
        if (row.Heading is { } heading)
        {
            props["view:azimuth"] = (int)Math.Round(heading) % 360;
        }
        AddIfNotNull(props, "pers:pitch", row.Pitch);
        AddIfNotNull(props, "pers:roll", row.Roll);
        props["pers:interior_orientation"] = interior;
        props["geovisio:status"] = row.Status;
        props["geovisio:visibility"] = row.Visibility;
        props["geovisio:producer"] = row.AccountName;
        props["geovisio:rank_in_collection"] = row.Rank;
        props["geovisio:image"] = hd;
        props["geovisio:thumbnail"] = thumb;
        props["original_file:name"] = row.OriginalFileName;
        props["original_file:size"] = row.OriginalFileSize;
        AddIfNotNull(props, "panoramax:horizontal_pixel_density", row.HorizontalPixelDensity);
        if (row.GpsAccuracy is { } acc)
        {
            props["quality:horizontal_accuracy"] = Math.Round(acc, 1);
        }
        props["exif"] = JsonNode.Parse(row.ExifJson) ?? new JsonObject();
        props["semantics"] = JsonNode.Parse(row.SemanticsJson) ?? new JsonArray();
        props["annotations"] = new JsonArray();
        props["collection"] = new JsonObject { ["semantics"] = JsonNode.Parse(row.SequenceSemanticsJson) ?? new JsonArray() };
        props["providers"] = new JsonArray(new JsonObject { ["name"] = row.AccountName, ["roles"] = new JsonArray("producer"), ["id"] = row.AccountId.ToString() });
        if (is360 && row.TileCols is { } cols && row.TileRows is { } rows)
        {
            props["tiles:tile_matrix_sets"] = new JsonObject
            {
                ["geovisio"] = new JsonObject
                {
                    ["type"] = "TileMatrixSetType",
                    ["title"] = "GeoVisio tile matrix for picture " + id,
                    ["identifier"] = "geovisio-" + id,
                    ["tileMatrix"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "TileMatrixType",
                        ["identifier"] = "0",
                        ["scaleDenominator"] = 1,
                        ["topLeftCorner"] = new JsonArray(0, 0),
                        ["tileWidth"] = row.Width / cols,
                        ["tileHeight"] = row.Height / rows,
                        ["matrixWidth"] = cols,
                        ["matrixHeight"] = rows,
                    }),
                },
            };
        }

        var assets = new JsonObject
        {
            ["hd"] = Asset(hd, "Highest resolution picture", "data"),
            ["sd"] = Asset(links.Api($"/api/pictures/{id}/sd.jpg"), "High resolution picture", "visual"),
            ["thumb"] = Asset(thumb, "Picture thumbnail", "thumbnail"),
        };

        var collectionUrl = links.Api($"/api/collections/{row.SequenceId}");
        var linkArray = new JsonArray
        {
            Link("root", links.Api("/api"), ApiJson.Json, "Instance catalog"),
            Link("parent", collectionUrl, ApiJson.Json, "Sequence"),
            Link("collection", collectionUrl, ApiJson.Json, "Sequence"),
            Link("self", links.Api($"/api/collections/{row.SequenceId}/items/{id}"), ApiJson.GeoJson),
            Link("license", $"https://spdx.org/licenses/{license}.html", "text/html", license),
        };
        if (row.Prev is { } prev)
        {
            linkArray.Add(NeighbourLink("prev", prev, links));
        }
        if (row.Next is { } next)
        {
            linkArray.Add(NeighbourLink("next", next, links));
        }
        foreach (var r in related ?? [])
        {
            var l = NeighbourLink("related", r, links);
            l["datetime"] = StacTime.Utc(r.CapturedAt);
            linkArray.Add(l);
        }

        var item = new JsonObject
        {
            ["type"] = "Feature",
            ["stac_version"] = "1.0.0",
            ["stac_extensions"] = extensions,
            ["id"] = id.ToString(),
            ["collection"] = row.SequenceId.ToString(),
            ["geometry"] = Point(row.Lon, row.Lat),
            ["bbox"] = new JsonArray(row.Lon, row.Lat, row.Lon, row.Lat),
            ["properties"] = props,
            ["assets"] = assets,
            ["links"] = linkArray,
        };
        if (is360 && row.TileCols is not null)
        {
            item["asset_templates"] = new JsonObject
            {
                ["tiles"] = new JsonObject
                {
                    ["title"] = "HD tiled picture",
                    ["href"] = links.Api($"/api/pictures/{id}/tiled/{{TileCol}}_{{TileRow}}.jpg"),
                    ["roles"] = new JsonArray("data"),
                    ["type"] = "image/jpeg",
                },
            };
        }
        return item;
    }

    private static JsonObject Asset(string href, string title, string role) => new()
    {
        ["title"] = title,
        ["description"] = title,
        ["roles"] = new JsonArray(role),
        ["type"] = "image/jpeg",
        ["href"] = href,
    };

    private static JsonObject Link(string rel, string href, string type, string? title = null)
    {
        var l = new JsonObject { ["rel"] = rel, ["href"] = href, ["type"] = type };
        if (title is not null)
        {
            l["title"] = title;
        }
        return l;
    }

    private static JsonObject NeighbourLink(string rel, Neighbour n, LinkBuilder links) => new()
    {
        ["rel"] = rel,
        ["type"] = ApiJson.GeoJson,
        ["id"] = n.Id.ToString(),
        ["geometry"] = Point(n.Lon, n.Lat),
        ["href"] = links.Api($"/api/collections/{n.SequenceId}/items/{n.Id}"),
    };

    public static JsonObject Point(double lon, double lat) => new() { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) };

    private static void AddIfNotNull<T>(JsonObject o, string key, T? value)
    {
        if (value is not null)
        {
            o[key] = JsonValue.Create(value);
        }
    }

    /// <summary>A FeatureCollection of items.</summary>
    public static JsonObject FeatureCollection(IEnumerable<JsonObject> features, JsonArray links) => new()
    {
        ["type"] = "FeatureCollection",
        ["features"] = new JsonArray([.. features]),
        ["links"] = links,
    };
}
