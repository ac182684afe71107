using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace Panoramax.Auth;

/// <summary>How the caller proved who they are; CSRF checks only concern cookies (browsers send them on their own).</summary>
public enum AuthMethod
{
    Session,
    ApiToken,
    OAuthToken,
}

/// <summary>
/// The logged-in account of the current request, read from the database on every request (not from the cookie or
/// token), so that a role change, a deletion or a revocation applies at once.
/// </summary>
public sealed record AuthenticatedAccount(Guid Id, string Name, bool IsAdmin, AuthMethod Method, DateTimeOffset? TosAcceptedAt)
{
    public const string IdClaim = "sub";
    public const string NameClaim = "name";
    public const string RoleClaim = "role";

    public ClaimsPrincipal ToPrincipal() => new(new ClaimsIdentity(
        [
            new Claim(IdClaim, Id.ToString()),
            new Claim(NameClaim, Name),
            new Claim(RoleClaim, IsAdmin ? "admin" : "user"),
        ],
        authenticationType: Method.ToString(), nameType: NameClaim, roleType: RoleClaim));
}

/// <summary>A peer instance or service calling with a client-credentials access token: known, but nobody's account.</summary>
public sealed record AuthenticatedClient(string ClientId);

public static class AuthenticatedAccountExtensions
{
    /// <summary>The OAuth client calling for itself (client credentials), or null.</summary>
    public static AuthenticatedClient? Client(this HttpContext context) => context.Features.Get<AuthenticatedClient>();

    /// <summary>The caller's account, or null when anonymous.</summary>
    public static AuthenticatedAccount? Account(this HttpContext context) => context.Features.Get<AuthenticatedAccount>();
}
