namespace Panoramax.Domain.Accounts;

/// <summary>
/// An identity at an external provider (OpenStreetMap, an OpenID Connect server) linked to an account: the first
/// login through it creates the account, later ones find it by (provider, subject).
/// </summary>
public sealed class ExternalLogin
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    /// <summary>Provider name as configured (<c>OpenStreetMap</c>, <c>oidc</c>).</summary>
    public required string Provider { get; set; }
    /// <summary>The provider's stable user id (OSM user id, OIDC <c>sub</c>).</summary>
    public required string Subject { get; set; }
    /// <summary>The name the provider gave at the last login.</summary>
    public string? DisplayName { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastLoginAt { get; set; }
}
