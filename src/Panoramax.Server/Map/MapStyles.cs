using System.Text.Json.Nodes;

namespace Panoramax.Server.Map;

/// <summary>
/// MapLibre v8 styles. The API style follows the viewer contract exactly: source <c>geovisio</c> (or
/// <c>geovisio_{userId}</c>), layers <c>{source}_sequences</c>, <c>{source}_pictures</c> (the viewer waits for
/// that id) and <c>geovisio_grid</c>, absolute tile URLs, and <c>metadata["panoramax:fields"]</c>, which switches on
/// the viewer's quality filters and type-aware grid. The viewer overrides colours and widths; the grid paint is kept,
/// and it swaps every string starting with <c>coef</c> for the 360/flat variant when filtering by type.
/// </summary>
public static class MapStyles
{
    private const string Colour = "#FF6F00";

    public static readonly string[] SequenceFields = ["id", "account_id", "model", "type", "date", "gps_accuracy", "h_pixel_density", "hidden"];
    public static readonly string[] PictureFields = ["id", "account_id", "ts", "heading", "type", "model", "gps_accuracy", "h_pixel_density", "hidden", "sequences", "first_sequence"];
    public static readonly string[] GridFields = ["id", "nb_pictures", "nb_360_pictures", "nb_flat_pictures", "coef", "coef_360_pictures", "coef_flat_pictures"];

    public static JsonObject Api(string name, string sourceId, string tilesUrl, bool withGrid)
    {
        var layers = new JsonArray();
        var fields = new JsonObject
        {
            ["sequences"] = Strings(SequenceFields),
            ["pictures"] = Strings(PictureFields),
        };
        if (withGrid)
        {
            layers.Add(GridLayer(sourceId));
            fields["grid"] = Strings(GridFields);
        }
        layers.Add(SequencesLayer(sourceId, withGrid ? 6 : 0));
        layers.Add(PicturesLayer(sourceId));
        return new JsonObject
        {
            ["version"] = 8,
            ["name"] = name,
            ["metadata"] = new JsonObject { ["panoramax:fields"] = fields },
            ["sources"] = new JsonObject
            {
                [sourceId] = new JsonObject
                {
                    ["type"] = "vector",
                    ["tiles"] = new JsonArray(tilesUrl),
                    ["minzoom"] = 0,
                    ["maxzoom"] = Persistence.Queries.TileAddress.MaxZoom,
                },
            },
            ["layers"] = layers,
        };
    }

    /// <summary>Our base map: a background and the neutral raster tiles (a tiled source, which the viewer needs to finish loading).</summary>
    public static JsonObject Base(string name, string tilesUrl) => new()
    {
        ["version"] = 8,
        ["name"] = name,
        ["sources"] = new JsonObject
        {
            ["base"] = new JsonObject
            {
                ["type"] = "raster",
                ["tiles"] = new JsonArray(tilesUrl),
                ["tileSize"] = 256,
                ["minzoom"] = 0,
                ["maxzoom"] = 19,
                ["attribution"] = "Panoramax",
            },
        },
        ["layers"] = new JsonArray(
            new JsonObject { ["id"] = "background", ["type"] = "background", ["paint"] = new JsonObject { ["background-color"] = "#f3f1ec" } },
            new JsonObject { ["id"] = "base", ["type"] = "raster", ["source"] = "base" }),
    };

    private static JsonObject GridLayer(string source) => new()
    {
        ["id"] = "geovisio_grid",
        ["type"] = "circle",
        ["source"] = source,
        ["source-layer"] = "grid",
        ["maxzoom"] = 7,
        ["layout"] = new JsonObject { ["visibility"] = "visible" },
        ["paint"] = new JsonObject
        {
            ["circle-color"] = Json("""["interpolate", ["linear"], ["get", "coef"], 0, "#FFA726", 0.5, "#F57C00", 1, "#E65100"]"""),
            ["circle-radius"] = Json("""["interpolate", ["linear"], ["zoom"], 0, ["*", 2, ["get", "coef"]], 6, ["+", 2, ["*", 8, ["get", "coef"]]]]"""),
            ["circle-opacity"] = Json("""["case", ["==", ["get", "coef"], 0], 0, 0.7]"""),
        },
    };

    private static JsonObject SequencesLayer(string source, int minZoom) => new()
    {
        ["id"] = $"{source}_sequences",
        ["type"] = "line",
        ["source"] = source,
        ["source-layer"] = "sequences",
        ["minzoom"] = minZoom,
        ["layout"] = new JsonObject { ["line-cap"] = "square", ["visibility"] = "visible" },
        ["paint"] = new JsonObject
        {
            ["line-color"] = Colour,
            ["line-width"] = Json("""["interpolate", ["linear"], ["zoom"], 0, 0.5, 10, 2, 14, 4, 16, 5, 22, 3]"""),
            ["line-opacity"] = 0.9,
        },
    };

    private static JsonObject PicturesLayer(string source) => new()
    {
        ["id"] = $"{source}_pictures",
        ["type"] = "circle",
        ["source"] = source,
        ["source-layer"] = "pictures",
        ["minzoom"] = Persistence.Queries.VectorTileQuery.PicturesMinZoom,
        ["layout"] = new JsonObject { ["visibility"] = "visible" },
        ["paint"] = new JsonObject
        {
            ["circle-color"] = Colour,
            ["circle-radius"] = Json("""["interpolate", ["linear"], ["zoom"], 15, 4.5, 17, 8, 22, 12]"""),
            ["circle-stroke-color"] = "#ffffff",
            ["circle-stroke-width"] = Json("""["interpolate", ["linear"], ["zoom"], 17, 0, 20, 2]"""),
        },
    };

    private static JsonArray Strings(string[] values) => new([.. values.Select(v => (JsonNode?)v)]);

    private static JsonNode Json(string text) => JsonNode.Parse(text)!;
}
