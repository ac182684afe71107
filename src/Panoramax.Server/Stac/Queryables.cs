using System.Text.Json.Nodes;
using Panoramax.Server.Stac.Filter;

namespace Panoramax.Server.Stac;

/// <summary>The filterable properties of collections and items: one list drives both the CQL2 translation and the queryables documents.</summary>
public static class Queryables
{
    private static readonly string[] Kinds = ["flat", "equirectangular"];

    public static readonly IReadOnlyList<Cql2Property> Collections =
    [
        new("created", "s.created_at", Cql2Type.Timestamp),
        new("updated", "s.updated_at", Cql2Type.Timestamp),
        new("type", "s.kind", Cql2Type.Text, Kinds),
        new("model", "s.camera_model", Cql2Type.Text),
        new("account_id", "s.account_id::text", Cql2Type.Text),
    ];

    public static readonly IReadOnlyList<Cql2Property> Items =
    [
        new("datetime", "p.captured_at", Cql2Type.Timestamp),
        new("created", "p.created_at", Cql2Type.Timestamp),
        new("updated", "p.updated_at", Cql2Type.Timestamp),
        new("type", "p.kind", Cql2Type.Text, Kinds),
        new("camera_make", "p.camera_make", Cql2Type.Text),
        new("camera_model", "p.camera_model", Cql2Type.Text),
        new("model", "concat_ws(' ', p.camera_make, p.camera_model)", Cql2Type.Text),
        new("account_id", "p.account_id::text", Cql2Type.Text),
        new("collection", "p.sequence_id::text", Cql2Type.Text),
    ];

    /// <summary>Item tags live on the picture and on its sequence.</summary>
    public static readonly IReadOnlyList<string> ItemSemanticsColumns = ["p.semantics", "s.semantics"];

    public static JsonObject Document(string id, string title, IReadOnlyList<Cql2Property> properties, bool semantics)
    {
        var props = new JsonObject();
        foreach (var p in properties)
        {
            var schema = p.Type switch
            {
                Cql2Type.Timestamp => new JsonObject { ["type"] = "string", ["format"] = "date-time" },
                Cql2Type.Number => new JsonObject { ["type"] = "number" },
                _ => new JsonObject { ["type"] = "string" },
            };
            if (p.AllowedValues is { } values)
            {
                schema["enum"] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
            }
            props[p.Name] = schema;
        }
        if (semantics)
        {
            props["semantics"] = new JsonObject { ["description"] = "Any tag (use IS NOT NULL)", ["type"] = "string" };
        }
        var doc = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2019-09/schema",
            ["$id"] = id,
            ["type"] = "object",
            ["title"] = title,
            ["properties"] = props,
            ["additionalProperties"] = false,
        };
        if (semantics)
        {
            doc["patternProperties"] = new JsonObject
            {
                ["^semantics\\..+$"] = new JsonObject { ["type"] = "string", ["description"] = "Value of a tag, e.g. \"semantics.osm|traffic_sign\" = 'yes'" },
            };
        }
        return doc;
    }
}
