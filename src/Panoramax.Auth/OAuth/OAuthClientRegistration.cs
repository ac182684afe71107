using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Panoramax.Auth.OAuth;

/// <summary>
/// Makes the registered OAuth clients match <c>Panoramax:Auth:Server:Clients</c> at every start (created when new,
/// updated otherwise), so configuration is the one source of truth and restarts are harmless.
/// Must be registered after the database initializer (hosted services start in order).
/// </summary>
internal sealed class OAuthClientRegistration(IServiceProvider services, IOptions<AuthOptions> options, ILogger<OAuthClientRegistration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled || options.Value.Server.Clients.Count == 0)
        {
            return;
        }
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        foreach (var client in options.Value.Server.Clients)
        {
            var descriptor = Describe(client);
            var existing = await manager.FindByClientIdAsync(client.ClientId, cancellationToken);
            if (existing is null)
            {
                await manager.CreateAsync(descriptor, cancellationToken);
                logger.LogInformation("Registered OAuth client {ClientId}", client.ClientId);
            }
            else
            {
                await manager.UpdateAsync(existing, descriptor, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static OpenIddictApplicationDescriptor Describe(OAuthClientOptions c)
    {
        var confidential = !string.IsNullOrEmpty(c.ClientSecret);
        var d = new OpenIddictApplicationDescriptor
        {
            ClientId = c.ClientId,
            ClientSecret = confidential ? c.ClientSecret : null,
            ClientType = confidential ? ClientTypes.Confidential : ClientTypes.Public,
            DisplayName = c.DisplayName ?? c.ClientId,
            // Clients are the administrator's choice: no consent screen.
            ConsentType = ConsentTypes.Implicit,
        };
        foreach (var uri in c.RedirectUris)
        {
            d.RedirectUris.Add(uri);
        }
        foreach (var uri in c.PostLogoutRedirectUris)
        {
            d.PostLogoutRedirectUris.Add(uri);
        }
        d.Permissions.Add(Permissions.Endpoints.Token);
        d.Permissions.Add(Permissions.Endpoints.Revocation);
        foreach (var grant in c.Grants.Count > 0 ? c.Grants : [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken])
        {
            switch (grant)
            {
                case GrantTypes.AuthorizationCode:
                    d.Permissions.Add(Permissions.Endpoints.Authorization);
                    d.Permissions.Add(Permissions.GrantTypes.AuthorizationCode);
                    d.Permissions.Add(Permissions.ResponseTypes.Code);
                    d.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
                    break;
                case GrantTypes.RefreshToken:
                    d.Permissions.Add(Permissions.GrantTypes.RefreshToken);
                    break;
                case GrantTypes.ClientCredentials when confidential:
                    d.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
                    break;
                case GrantTypes.ClientCredentials:
                    throw new InvalidOperationException($"OAuth client {c.ClientId}: client_credentials needs a ClientSecret");
                default:
                    throw new InvalidOperationException($"OAuth client {c.ClientId}: unknown grant {grant} (authorization_code, refresh_token or client_credentials)");
            }
        }
        foreach (var scope in c.Scopes.Count > 0 ? c.Scopes : [Scopes.Profile, Scopes.Email, Scopes.Roles, OAuthServer.ApiScope])
        {
            d.Permissions.Add(Permissions.Prefixes.Scope + scope);
        }
        return d;
    }
}
