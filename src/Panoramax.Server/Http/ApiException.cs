namespace Panoramax.Server.Http;

/// <summary>
/// A client error with a message a person can act on. Thrown from handlers, rendered by
/// <see cref="ApiErrorHandling"/> as GeoVisio's <c>{"message", "status_code", "details"}</c> body.
/// </summary>
public sealed class ApiException(int statusCode, string message, object? details = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public object? Details { get; } = details;
    /// <summary>Seconds after which trying again makes sense, sent as Retry-After.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException BadRequest(string message, object? details = null) => new(StatusCodes.Status400BadRequest, message, details);
    public static ApiException NotFound(string message) => new(StatusCodes.Status404NotFound, message);
    public static ApiException Forbidden(string message) => new(StatusCodes.Status403Forbidden, message);
    public static ApiException Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, message);
    public static ApiException Conflict(string message, object? details = null) => new(StatusCodes.Status409Conflict, message, details);
}
