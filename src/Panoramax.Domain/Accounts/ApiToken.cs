namespace Panoramax.Domain.Accounts;

/// <summary>
/// A GeoVisio-style API token (a JWT the CLI and scripts send as Bearer). Only the SHA-256 of the JWT is kept,
/// so a database leak gives no usable token; the JWT itself is shown once, when it is made.
/// A token made by the anonymous "generate" route has no account until a logged-in user claims it.
/// </summary>
public sealed class ApiToken
{
    public Guid Id { get; set; }
    /// <summary>Null until claimed (CLI flow).</summary>
    public Guid? AccountId { get; set; }
    public string? Description { get; set; }
    /// <summary>SHA-256 of the whole JWT string.</summary>
    public required byte[] TokenHash { get; set; }
    public DateTimeOffset GeneratedAt { get; set; }
    public DateTimeOffset? ClaimedAt { get; set; }
    /// <summary>Revoked tokens are kept (not deleted) so that their callers get a precise 401.</summary>
    public DateTimeOffset? RevokedAt { get; set; }
}
