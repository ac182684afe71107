using System.Text.Json;

namespace Panoramax.Server.Http;

/// <summary>Reads a request body that must be one JSON object, with the errors a person can act on (never a 500).</summary>
public static class JsonBody
{
    /// <summary>
    /// The body as a JSON object. Without a JSON content type: <paramref name="notJsonStatus"/> (415 where the route only
    /// takes JSON, 400 where another content type is simply a mistake) with <paramref name="notJsonMessage"/>.
    /// </summary>
    public static async Task<JsonElement> ReadObjectAsync(HttpRequest request, int notJsonStatus, string notJsonMessage, string notObjectMessage, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
        {
            throw new ApiException(notJsonStatus, notJsonMessage);
        }
        return await ParseObjectAsync(request, notObjectMessage, ct);
    }

    /// <summary>The body parsed as a JSON object, whatever its content type: 400 for broken JSON or another JSON kind.</summary>
    public static async Task<JsonElement> ParseObjectAsync(HttpRequest request, string notObjectMessage, CancellationToken ct)
    {
        JsonElement body;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            body = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("The request body is not valid JSON", new { error = e.Message });
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest(notObjectMessage);
        }
        if (FirstUnstorableString(body) is { } path)
        {
            throw ApiException.BadRequest($"The request body has a string that cannot be stored at ${path}: a lone surrogate escape (such as \\ud800) or a NUL character (\\u0000)");
        }
        return body;
    }

    /// <summary>
    /// The JSON parser accepts an escaped lone surrogate ("\ud800"), which only fails when a route reads the string, and
    /// "\u0000", which PostgreSQL refuses in text and jsonb; every name and string is checked once here instead.
    /// Returns where the first such string is (".name[2]" below the root), or null.
    /// </summary>
    private static string? FirstUnstorableString(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return Storable(e.GetString) ? null : "";
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (!Storable(() => p.Name))
                    {
                        return "";
                    }
                    if (FirstUnstorableString(p.Value) is { } inner)
                    {
                        return "." + p.Name + inner;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    if (FirstUnstorableString(item) is { } inner)
                    {
                        return $"[{i}]{inner}";
                    }
                    i++;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Storable(Func<string?> read)
    {
        try
        {
            return read() is not { } text || !text.Contains('\0', StringComparison.Ordinal);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
