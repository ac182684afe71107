using System.Text.Json.Nodes;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>Builds STAC Collections for sequences (GeoVisio's shape), and the stubs that stand for deleted or hidden ones.</summary>
public static class StacCollectionJson
{
    public const string StatsExtension = "https://stac-extensions.github.io/stats/v0.2.0/schema.json";
    public const string QualityExtension = "https://stac.linz.govt.nz/v0.0.15/quality/schema.json";

    /// <param name="row">The sequence.</param>
    /// <param name="links">Absolute link builder.</param>
    /// <param name="instanceLicense">Licence when the sequence has none of its own.</param>
    /// <param name="single">The single-collection route adds visibility, sort order and camera summaries.</param>
    /// <param name="showVisibility">Lists show visibility to the owner only.</param>
    /// <param name="cameras">Camera characteristics for the summaries (single route).</param>
    public static JsonObject Build(CollectionRow row, LinkBuilder links, string instanceLicense, bool single, bool showVisibility,
        IReadOnlyList<(string? Make, string? Model, double? Focal, double? Fov)>? cameras = null)
    {
        var license = row.License ?? instanceLicense;
        var bbox = row.Bbox is { } b ? new JsonArray(b.MinX, b.MinY, b.MaxX, b.MaxY) : new JsonArray(-180.0, -90.0, 180.0, 90.0);
        var summaries = new JsonObject();
        if (single && cameras is not null)
        {
            summaries["pers:interior_orientation"] = new JsonArray([.. cameras.Select(c =>
            {
                var o = new JsonObject();
                if (c.Make is not null) { o["make"] = c.Make; }
                if (c.Model is not null) { o["model"] = c.Model; }
                if (c.Focal is not null) { o["focal_length"] = c.Focal; }
                if (c.Fov is not null) { o["field_of_view"] = Math.Round(c.Fov.Value); }
                return (JsonNode)o;
            })]);
        }
        if (row.HorizontalPixelDensity is { } density)
        {
            summaries["panoramax:horizontal_pixel_density"] = new JsonArray(density);
        }

        var o = new JsonObject
        {
            ["type"] = "Collection",
            ["stac_version"] = "1.0.0",
            ["stac_extensions"] = new JsonArray(StatsExtension, QualityExtension),
            ["id"] = row.Id.ToString(),
            ["title"] = row.Title,
            ["description"] = "A sequence of geolocated pictures",
            ["keywords"] = new JsonArray("pictures", row.Title),
            ["semantics"] = JsonNode.Parse(row.SemanticsJson) ?? new JsonArray(),
            ["license"] = license,
            ["created"] = StacTime.Utc(row.CreatedAt),
            ["updated"] = StacTime.Utc(row.UpdatedAt),
        };
        if (row.Status != "ready")
        {
            o["geovisio:status"] = row.Status;
        }
        if (single || showVisibility)
        {
            o["geovisio:visibility"] = row.Visibility;
        }
        if (single)
        {
            o["geovisio:sorted-by"] = row.SortedBy;
        }
        o["geovisio:upload-software"] = row.UploadSoftware;
        o["geovisio:length_km"] = Math.Round(row.LengthKm, 3);
        if (row.GpsAccuracy is { } acc)
        {
            o["quality:horizontal_accuracy"] = Math.Round(acc, 1);
            o["quality:horizontal_accuracy_type"] = "95% confidence interval";
        }
        o["providers"] = new JsonArray(new JsonObject { ["name"] = row.AccountName, ["roles"] = new JsonArray("producer"), ["id"] = row.AccountId.ToString() });
        o["extent"] = new JsonObject
        {
            ["spatial"] = new JsonObject { ["bbox"] = new JsonArray(bbox) },
            ["temporal"] = new JsonObject
            {
                ["interval"] = new JsonArray(new JsonArray(
                    row.MinCapturedAt is { } min ? StacTime.Utc(min) : null,
                    row.MaxCapturedAt is { } max ? StacTime.Utc(max) : null)),
            },
        };
        o["summaries"] = summaries;
        o["stats:items"] = new JsonObject { ["count"] = row.PictureCount };
        var l = new JsonArray
        {
            Link("items", links.Api($"/api/collections/{row.Id}/items"), ApiJson.GeoJson, "Pictures in this sequence"),
            Link("parent", links.Api("/api"), ApiJson.Json, "Instance catalog"),
            Link("root", links.Api("/api"), ApiJson.Json, "Instance catalog"),
            Link("self", links.Api($"/api/collections/{row.Id}"), ApiJson.Json, "Metadata of this sequence"),
            Link("license", $"https://spdx.org/licenses/{license}.html", "text/html", license),
        };
        if (row.UploadSetId is { } us)
        {
            l.Add(Link("upload_set", links.Api($"/api/upload_sets/{us}"), ApiJson.Json, "Upload set that created this sequence"));
        }
        o["links"] = l;
        return o;
    }

    /// <summary>
    /// What a deleted (or no longer visible) sequence looks like in lists with show_deleted: GeoVisio's
    /// <c>{id, "geovisio:status": "deleted"}</c> tombstone, padded to a minimal valid STAC Collection that says
    /// nothing about the sequence (no title, owner, place or dates).
    /// </summary>
    public static JsonObject Stub(Guid id, LinkBuilder links) => new()
    {
        ["type"] = "Collection",
        ["stac_version"] = "1.0.0",
        ["id"] = id.ToString(),
        ["geovisio:status"] = "deleted",
        ["description"] = "Deleted sequence",
        ["license"] = "proprietary",
        ["extent"] = new JsonObject
        {
            ["spatial"] = new JsonObject { ["bbox"] = new JsonArray(new JsonArray(-180.0, -90.0, 180.0, 90.0)) },
            ["temporal"] = new JsonObject { ["interval"] = new JsonArray(new JsonArray(null, null)) },
        },
        ["links"] = new JsonArray(Link("self", links.Api($"/api/collections/{id}"), ApiJson.Json)),
    };

    public static JsonObject Link(string rel, string href, string type, string? title = null)
    {
        var l = new JsonObject { ["rel"] = rel, ["href"] = href, ["type"] = type };
        if (title is not null)
        {
            l["title"] = title;
        }
        return l;
    }
}
