using System.Net;
using System.Text.Json;

namespace Panoramax.IntegrationTests.Infrastructure;

public static class JsonAssert
{
    /// <summary>Asserts GeoVisio's error shape: a JSON body with a readable message and the status repeated.</summary>
    public static async Task<JsonElement> IsApiErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(text).RootElement.Clone();
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("message").GetString()));
        Assert.Equal((int)expected, json.GetProperty("status_code").GetInt32());
        return json;
    }

    public static IEnumerable<JsonElement> Links(JsonElement doc, string rel) =>
        doc.GetProperty("links").EnumerateArray().Where(l => l.GetProperty("rel").GetString() == rel);
}
