using System.Text.Json.Serialization;

namespace Panoramax.Server.Http;

/// <summary>The error body every route returns (GeoVisio's InvalidAPIUsage shape).</summary>
public sealed record ApiError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("status_code")] int StatusCode,
    [property: JsonPropertyName("details")] object? Details = null)
{
    public static IResult Result(int status, string message, object? details = null) =>
        Results.Json(new ApiError(message, status, details), ApiJson.Options, statusCode: status);
}
