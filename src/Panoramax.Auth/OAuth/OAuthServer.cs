using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Panoramax.Domain.Accounts;
using Panoramax.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Panoramax.Auth.OAuth;

/// <summary>
/// The instance as an OpenID Connect provider: authorization code + PKCE for web pages and apps, refresh tokens,
/// client credentials for peers and services, revocation. Discovery is at <c>/.well-known/openid-configuration</c>.
/// Clients are registered by the administrator (configuration), so they are trusted: no consent screen.
/// </summary>
public static class OAuthServer
{
    public const string AuthorizePath = "/oauth/authorize";
    public const string TokenPath = "/oauth/token";
    public const string RevokePath = "/oauth/revoke";
    public const string UserInfoPath = "/oauth/userinfo";
    public const string ApiScope = "api";

    internal static void Add(IServiceCollection services, AuthOptions options, string keysDirectory)
    {
        var server = options.Server;
        services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<PanoramaxDbContext>())
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris(AuthorizePath.TrimStart('/'))
                    .SetTokenEndpointUris(TokenPath.TrimStart('/'))
                    .SetRevocationEndpointUris(RevokePath.TrimStart('/'))
                    .SetUserInfoEndpointUris(UserInfoPath.TrimStart('/'));
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow();
                o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles, Scopes.OfflineAccess, ApiScope);
                o.SetAccessTokenLifetime(server.AccessTokenLifetime).SetRefreshTokenLifetime(server.RefreshTokenLifetime);
                o.AddSigningKey(RsaKeyFile.LoadOrCreate(server.SigningKeyFile ?? Path.Combine(keysDirectory, "oidc-signing.pem")));
                o.AddEncryptionKey(RsaKeyFile.LoadOrCreate(server.EncryptionKeyFile ?? Path.Combine(keysDirectory, "oidc-encryption.pem")));
                var aspnet = o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough();
                if (!server.RequireHttps)
                {
                    aspnet.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
                // Revocation must apply at once to access tokens too, not only when they expire.
                o.EnableTokenEntryValidation();
                o.EnableAuthorizationEntryValidation();
            });
        services.AddHostedService<OAuthClientRegistration>();
    }

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods(AuthorizePath, [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync).ExcludeFromDescription();
        app.MapPost(TokenPath, ExchangeAsync).ExcludeFromDescription().DisableAntiforgery();
        app.MapMethods(UserInfoPath, [HttpMethods.Get, HttpMethods.Post], (Delegate)UserInfoAsync).ExcludeFromDescription();
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request");
        var account = http.Account();
        if (account is null || account.Method != AuthMethod.Session)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "The user is not logged in");
            }
            // Log in (page or external provider), then come back to this very request.
            var query = http.Request.HasFormContentType
                ? QueryString.Create((await http.Request.ReadFormAsync(http.RequestAborted)).Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value.ToString())))
                : http.Request.QueryString;
            var back = http.Request.PathBase + http.Request.Path + query;
            return Results.Redirect($"{http.Request.PathBase}/api/auth/login?next_url={Uri.EscapeDataString(back)}");
        }
        var principal = AccountPrincipal(account.Id, account.Name, account.IsAdmin, request.GetScopes());
        return Results.SignIn(principal, properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> ExchangeAsync(HttpContext http, PanoramaxDbContext db)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request");
        if (request.IsClientCredentialsGrantType())
        {
            // A peer or service: it acts as itself, not as an account.
            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId).SetClaim(Claims.Name, request.ClientId);
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var sub = result.Principal?.GetClaim(Claims.Subject);
            var account = Guid.TryParse(sub, out var id)
                ? await db.Accounts.AsNoTracking().Where(a => a.Id == id).Select(a => new { a.Id, a.Name, a.Role }).FirstOrDefaultAsync(http.RequestAborted)
                : null;
            if (account is null)
            {
                return Forbid(Errors.InvalidGrant, "The account of this grant no longer exists");
            }
            // Name and role are read again: a rename or a role change shows in the next tokens.
            return Results.SignIn(AccountPrincipal(account.Id, account.Name, account.Role == AccountRole.Admin, result.Principal!.GetScopes()),
                properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        return Forbid(Errors.UnsupportedGrantType, "This grant type is not supported");
    }

    private static async Task<IResult> UserInfoAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { } p)
        {
            return Results.Challenge(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }
        var info = new Dictionary<string, object?> { [Claims.Subject] = p.GetClaim(Claims.Subject) };
        if (p.HasScope(Scopes.Profile))
        {
            info[Claims.Name] = p.GetClaim(Claims.Name);
            info[Claims.PreferredUsername] = p.GetClaim(Claims.Name);
        }
        if (p.HasScope(Scopes.Roles))
        {
            info[Claims.Role] = p.GetClaim(Claims.Role);
        }
        return Results.Json(info);
    }

    private static ClaimsPrincipal AccountPrincipal(Guid id, string name, bool admin, ImmutableArray<string> scopes)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, id.ToString())
            .SetClaim(Claims.Name, name)
            .SetClaim(Claims.PreferredUsername, name)
            .SetClaim(Claims.Role, admin ? "admin" : "user");
        identity.SetScopes(scopes);
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Name or Claims.PreferredUsername when claim.Subject!.HasScope(Scopes.Profile) => [Destinations.AccessToken, Destinations.IdentityToken],
            Claims.Role when claim.Subject!.HasScope(Scopes.Roles) => [Destinations.AccessToken, Destinations.IdentityToken],
            Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
            _ => [Destinations.AccessToken],
        });
        return new ClaimsPrincipal(identity);
    }

    private static IResult Forbid(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
