namespace Panoramax.Domain.Accounts;

/// <summary>A contributor or administrator. The id is global: peers keep it when they copy the account's public records.</summary>
public sealed class Account
{
    public Guid Id { get; set; }
    public Guid OriginInstanceId { get; set; }
    public required string Name { get; set; }
    public string? Email { get; set; }
    /// <summary>ASP.NET Core Identity v3 password hash; null for accounts that only log in through an external provider.</summary>
    public string? PasswordHash { get; set; }
    public AccountRole Role { get; set; } = AccountRole.User;
    /// <summary>The account that owns anonymous uploads when the instance allows them (GeoVisio's "default account").</summary>
    public bool IsDefault { get; set; }
    public Visibility.Visibility DefaultVisibility { get; set; } = Visibility.Visibility.Anyone;
    /// <summary>SPDX id of the licence this account publishes under; null means the instance licence.</summary>
    public string? DefaultLicense { get; set; }
    /// <summary>Whether others may edit core metadata of this account's sequences; null means the instance default.</summary>
    public bool? CollaborativeMetadata { get; set; }
    public DateTimeOffset? TosAcceptedAt { get; set; }
    public int FailedLoginCount { get; set; }
    public DateTimeOffset? LockoutEndsAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum AccountRole
{
    User,
    Admin,
}
