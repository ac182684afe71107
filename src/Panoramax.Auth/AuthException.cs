namespace Panoramax.Auth;

/// <summary>
/// A refusal a person can act on (wrong password, locked account, registration closed). The host renders it as
/// the API's JSON error body with this status.
/// </summary>
public sealed class AuthException(int statusCode, string message, object? details = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public object? Details { get; } = details;
    /// <summary>Seconds after which trying again makes sense (lockouts), sent as Retry-After.</summary>
    public int? RetryAfterSeconds { get; init; }
}
