using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panoramax.Server.Http;

/// <summary>JSON settings of the API: explicit property names (STAC uses snake_case and prefixes), nulls omitted.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        o.PropertyNamingPolicy = null;
        o.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return o;
    }

    public const string Json = "application/json";
    public const string GeoJson = "application/geo+json";
}
