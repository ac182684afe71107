using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Client;
using OpenIddict.Client.AspNetCore;
using Panoramax.Domain.Accounts;
using Panoramax.Persistence;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Panoramax.Auth.OAuth;

/// <summary>
/// Logging in through OpenStreetMap or an OpenID Connect provider (OpenIddict client). The first login creates the
/// account (named after the provider's display name) and links the provider's user id; later ones find it again.
/// </summary>
public sealed class ExternalLogins(PanoramaxDbContext db, IOptions<AuthOptions> options, IHttpClientFactory http, TimeProvider clock)
{
    public const string RedirectPath = "/api/auth/redirect";

    internal static void Add(IServiceCollection services, AuthOptions o, RsaSecurityKey signing, RsaSecurityKey encryption)
    {
        services.AddScoped<ExternalLogins>();
        services.AddHttpClient(nameof(ExternalLogins));
        if (!o.OpenStreetMap.Enabled && !o.Oidc.Enabled)
        {
            return;
        }
        var redirect = new Uri(RedirectPath.TrimStart('/'), UriKind.Relative);
        services.AddOpenIddict().AddClient(c =>
        {
            c.AllowAuthorizationCodeFlow();
            c.AddSigningKey(signing);
            c.AddEncryptionKey(encryption);
            c.SetRedirectionEndpointUris(redirect.OriginalString);
            var aspnet = c.UseAspNetCore().EnableRedirectionEndpointPassthrough();
            if (!o.Server.RequireHttps)
            {
                aspnet.DisableTransportSecurityRequirement();
                // Over plain HTTP the correlation cookie cannot be Secure (nor therefore SameSite=None); the
                // provider comes back with a top-level GET, which Lax cookies accompany.
                aspnet.Configure(a =>
                {
                    a.CookieBuilder.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                    a.CookieBuilder.SameSite = SameSiteMode.Lax;
                });
            }
            c.UseSystemNetHttp();
            var osm = o.OpenStreetMap;
            if (osm.Enabled && osm.BaseUrl is null)
            {
                c.UseWebProviders().AddOpenStreetMap(p => p.SetClientId(osm.ClientId!).SetClientSecret(osm.ClientSecret ?? "").SetRedirectUri(redirect.OriginalString));
            }
            else if (osm.Enabled)
            {
                // WebIntegration's OpenStreetMap has a fixed issuer: another OSM server gets a plain OAuth 2 registration.
                var b = WithSlash(osm.BaseUrl!);
                c.AddRegistration(new OpenIddictClientRegistration
                {
                    ProviderName = OpenStreetMapOptions.ProviderName,
                    ProviderDisplayName = "OpenStreetMap",
                    Issuer = b,
                    ClientId = osm.ClientId,
                    ClientSecret = osm.ClientSecret,
                    RedirectUri = redirect,
                    Scopes = { "read_prefs" },
                    Configuration = new OpenIddictConfiguration
                    {
                        Issuer = b,
                        AuthorizationEndpoint = new Uri(b, "oauth2/authorize"),
                        TokenEndpoint = new Uri(b, "oauth2/token"),
                        GrantTypesSupported = { GrantTypes.AuthorizationCode },
                        ResponseTypesSupported = { ResponseTypes.Code },
                        CodeChallengeMethodsSupported = { CodeChallengeMethods.Sha256 },
                        TokenEndpointAuthMethodsSupported = { ClientAuthenticationMethods.ClientSecretPost },
                    },
                });
            }
            if (o.Oidc.Enabled)
            {
                var registration = new OpenIddictClientRegistration
                {
                    ProviderName = o.Oidc.ProviderName,
                    ProviderDisplayName = o.Oidc.DisplayName,
                    Issuer = WithSlash(o.Oidc.Issuer!),
                    ClientId = o.Oidc.ClientId,
                    ClientSecret = string.IsNullOrEmpty(o.Oidc.ClientSecret) ? null : o.Oidc.ClientSecret,
                    RedirectUri = redirect,
                    Scopes = { Scopes.OpenId, Scopes.Profile, Scopes.Email },
                };
                c.AddRegistration(registration);
            }
        });
    }

    /// <summary>Names of the configured external providers, in the order the login page shows them.</summary>
    public static IReadOnlyList<(string Name, string DisplayName)> Providers(AuthOptions o)
    {
        var list = new List<(string, string)>();
        if (o.OpenStreetMap.Enabled)
        {
            list.Add((OpenStreetMapOptions.ProviderName, "OpenStreetMap"));
        }
        if (o.Oidc.Enabled)
        {
            list.Add((o.Oidc.ProviderName, o.Oidc.DisplayName));
        }
        return list;
    }

    /// <summary>Sends the browser to the provider; it comes back to <see cref="RedirectPath"/>, then to <paramref name="returnUrl"/>.</summary>
    public static IResult Challenge(string provider, string returnUrl) => Results.Challenge(
        new AuthenticationProperties(new Dictionary<string, string?> { [OpenIddictClientAspNetCoreConstants.Properties.ProviderName] = provider }) { RedirectUri = returnUrl },
        [OpenIddictClientAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>Finishes the provider's callback: the account to sign in (created or found) and where to go next.</summary>
    public async Task<(Account Account, string ReturnUrl)> CompleteAsync(HttpContext context, CancellationToken ct)
    {
        var result = await context.AuthenticateAsync(OpenIddictClientAspNetCoreDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal is not { } principal)
        {
            var reason = result.Failure?.Message ?? result.Properties?.GetString(OpenIddictClientAspNetCoreConstants.Properties.ErrorDescription) ?? "no answer from the provider";
            throw new AuthException(400, $"Login with the external provider failed: {reason}");
        }
        var provider = principal.GetClaim(Claims.Private.ProviderName) ?? throw new AuthException(400, "Login answer without a provider");
        var subject = principal.GetClaim(Claims.Subject);
        var name = principal.GetClaim(Claims.PreferredUsername) ?? principal.GetClaim(Claims.Name) ?? principal.GetClaim("display_name");
        var email = principal.GetClaim(Claims.Email);
        if (provider == OpenStreetMapOptions.ProviderName && (subject is null || name is null))
        {
            var access = result.Properties?.GetTokenValue(OpenIddictClientAspNetCoreConstants.Tokens.BackchannelAccessToken)
                ?? throw new AuthException(400, "OpenStreetMap gave no access token");
            (subject, name) = await OsmUserAsync(access, ct);
        }
        if (string.IsNullOrEmpty(subject))
        {
            throw new AuthException(400, $"{provider} did not say who the user is");
        }
        var account = await FindOrCreateAsync(provider, subject, name ?? $"{provider} user {subject}", email, ct);
        var returnUrl = result.Properties?.RedirectUri;
        return (account, string.IsNullOrEmpty(returnUrl) ? "/" : returnUrl);
    }

    /// <summary>OSM's own user API (what GeoVisio reads): numeric id and display name.</summary>
    private async Task<(string Id, string Name)> OsmUserAsync(string accessToken, CancellationToken ct)
    {
        var osm = options.Value.OpenStreetMap;
        var api = WithSlash(osm.ApiUrl ?? osm.BaseUrl ?? new Uri("https://api.openstreetmap.org/"));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(api, "api/0.6/user/details.json"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var client = http.CreateClient(nameof(ExternalLogins));
        using var response = await client.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new AuthException(502, $"OpenStreetMap's user details answered {(int)response.StatusCode}");
        }
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        if (!doc.RootElement.TryGetProperty("user", out var user) || !user.TryGetProperty("id", out var id) || !user.TryGetProperty("display_name", out var name))
        {
            throw new AuthException(502, "OpenStreetMap's user details have no user id or display name");
        }
        return (id.ToString(), name.GetString() ?? id.ToString());
    }

    private async Task<Account> FindOrCreateAsync(string provider, string subject, string name, string? email, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (await LoginExistingAsync(provider, subject, name, now, ct) is { } known)
        {
            return known;
        }
        if (!options.Value.RegistrationIsOpen)
        {
            throw new AuthException(403, "Registration is closed on this instance: ask its administrator for an account");
        }
        // One account creation at a time; the same first login arriving twice (a double submit) finds the other's link.
        await using var tx = await AccountCreation.BeginAsync(db, ct);
        if (await LoginExistingAsync(provider, subject, name, now, ct) is { } created)
        {
            await tx.CommitAsync(ct);
            return created;
        }
        var self = await db.Instances.AsNoTracking().Where(i => i.IsSelf).Select(i => i.Id).SingleAsync(ct);
        var account = new Account
        {
            Id = Guid.CreateVersion7(now),
            OriginInstanceId = self,
            Name = await FreeNameAsync(name.Length > 190 ? name[..190] : name, ct),
            // Only kept when nobody uses it yet: e-mails are unique and a provider's e-mail is not proof of owning a local account.
            Email = email is not null && !await db.Accounts.AnyAsync(a => a.Email == email, ct) ? email : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Accounts.Add(account);
        db.ExternalLogins.Add(new ExternalLogin
        {
            Id = Guid.CreateVersion7(now),
            AccountId = account.Id,
            Provider = provider,
            Subject = subject,
            DisplayName = name,
            CreatedAt = now,
            LastLoginAt = now,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return account;
    }

    /// <summary>The account already linked to this external identity (its link refreshed), or null.</summary>
    private async Task<Account?> LoginExistingAsync(string provider, string subject, string name, DateTimeOffset now, CancellationToken ct)
    {
        var link = await db.ExternalLogins.FirstOrDefaultAsync(l => l.Provider == provider && l.Subject == subject, ct);
        if (link is null)
        {
            return null;
        }
        link.DisplayName = name;
        link.LastLoginAt = now;
        await db.SaveChangesAsync(ct);
        return await db.Accounts.SingleAsync(a => a.Id == link.AccountId, ct);
    }

    /// <summary>The provider's name, or with a number after it when a local account already has it.</summary>
    private async Task<string> FreeNameAsync(string name, CancellationToken ct)
    {
        var candidate = name;
        for (var i = 2; await db.Accounts.AnyAsync(a => a.Name == candidate, ct); i++)
        {
            candidate = $"{name} ({i})";
        }
        return candidate;
    }

    private static Uri WithSlash(Uri u) => u.AbsoluteUri.EndsWith('/') ? u : new Uri(u.AbsoluteUri + "/");
}
