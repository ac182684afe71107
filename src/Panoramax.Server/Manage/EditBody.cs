using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panoramax.Server.Http;

namespace Panoramax.Server.Manage;

/// <summary>
/// The fields of a PATCH/POST body, sent as JSON or as a form (GeoVisio accepts both for core fields), with typed
/// readers that turn every bad value into a 400 naming the field.
/// </summary>
internal sealed class EditBody
{
    private readonly Dictionary<string, JsonElement> _fields;

    private EditBody(Dictionary<string, JsonElement> fields, bool isJson)
    {
        _fields = fields;
        IsJson = isJson;
    }

    public bool IsJson { get; }
    public bool IsEmpty => _fields.Count == 0;
    public IEnumerable<string> Names => _fields.Keys;
    public bool Has(string name) => _fields.ContainsKey(name);

    public static async Task<EditBody> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (request.HasFormContentType)
        {
            var form = await FormBody.ReadAsync(request, ct);
            foreach (var (k, v) in form)
            {
                fields[k] = JsonSerializer.SerializeToElement(v.ToString());
            }
            return new EditBody(fields, false);
        }
        if (request.ContentLength == 0 || (request.ContentLength is null && request.ContentType is null))
        {
            return new EditBody(fields, true);
        }
        var body = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            "Send the changes as JSON (Content-Type: application/json) or as a form", "The request body must be a JSON object", ct);
        foreach (var p in body.EnumerateObject())
        {
            fields[p.Name] = p.Value;
        }
        return new EditBody(fields, true);
    }

    public JsonElement? Raw(string name) => _fields.TryGetValue(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? Text(string name, int maxLength)
    {
        if (Raw(name) is not { } v)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            throw Bad(name, "must be a text", v);
        }
        var s = v.GetString()!.Trim();
        return s.Length > maxLength ? throw Bad(name, $"is too long ({maxLength} characters at most)", v) : s;
    }

    public double? Number(string name, double min, double max)
    {
        if (Raw(name) is not { } v)
        {
            return null;
        }
        double d;
        if (v.ValueKind == JsonValueKind.Number)
        {
            d = v.GetDouble();
        }
        else if (v.ValueKind != JsonValueKind.String || !double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
        {
            throw Bad(name, "must be a number", v);
        }
        return double.IsFinite(d) && d >= min && d <= max ? d : throw Bad(name, $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}", v);
    }

    public Guid? Id(string name)
    {
        var s = Text(name, 64);
        return s is null ? null : Guid.TryParse(s, out var id) ? id : throw Bad(name, "must be an id (UUID)", Raw(name)!.Value);
    }

    public List<Guid> Ids(string name)
    {
        if (Raw(name) is not { ValueKind: JsonValueKind.Array } v)
        {
            throw ApiException.BadRequest($"{name} must be a list of ids (UUID)");
        }
        var ids = new List<Guid>();
        foreach (var e in v.EnumerateArray())
        {
            ids.Add(e.ValueKind == JsonValueKind.String && Guid.TryParse(e.GetString(), out var id) ? id : throw Bad(name, "must only hold ids (UUID)", e));
        }
        return ids;
    }

    public static ApiException Bad(string name, string what, JsonElement input) =>
        ApiException.BadRequest($"{name} {what}", new[] { new { fields = new[] { name }, error = what, input = JsonNode.Parse(input.GetRawText()) } });
}
