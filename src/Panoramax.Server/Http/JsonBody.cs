using System.Text.Json;
using Panoramax.Persistence;

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
        if (StorableJson.FirstUnstorableString(body) is { } path)
        {
            throw ApiException.BadRequest($"The request body has a string that cannot be stored at ${path}: a lone surrogate escape (such as \\ud800) or a NUL character (\\u0000)");
        }
        return body;
    }
}
