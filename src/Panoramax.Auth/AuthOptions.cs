using System.ComponentModel.DataAnnotations;

namespace Panoramax.Auth;

/// <summary>
/// <c>Panoramax:Auth</c>: how people log in on this instance. One class for the whole section so that
/// /api/configuration, the login routes and the guards read the same switches.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Panoramax:Auth";

    /// <summary>When false every caller is anonymous and the login routes answer 501 (GeoVisio without OAuth).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Whether anyone may create an account; also decides whether <c>logged-only</c> visibility is offered.</summary>
    public bool RegistrationIsOpen { get; set; } = true;
    public bool EnforceTosAcceptance { get; set; }
    /// <summary>Name + password accounts kept here; false for instances whose only login is an external provider.</summary>
    public bool LocalAccounts { get; set; } = true;
    /// <summary>GeoVisio's API_FORCE_AUTH_ON_UPLOAD: when false, anonymous uploads belong to the default account.</summary>
    public bool ForceAuthOnUpload { get; set; } = true;
    [Range(1, 1000)]
    public int MaxFailedLogins { get; set; } = 5;
    [Range(1, 100_000)]
    public int LockoutMinutes { get; set; } = 15;
    [Range(8, 1024)]
    public int MinPasswordLength { get; set; } = 8;
    /// <summary>Local accounts one client (IP address) may create per hour.</summary>
    [Range(1, 1_000_000)]
    public int RegistrationsPerClientPerHour { get; set; } = 20;
    /// <summary>Password logins one client may try per minute, whatever the accounts (lockouts count per account).</summary>
    [Range(1, 1_000_000)]
    public int LoginsPerClientPerMinute { get; set; } = 30;
    /// <summary>Unclaimed tokens (<c>/api/auth/tokens/generate</c>, the CLI's login) one client may ask for per minute.</summary>
    [Range(1, 1_000_000)]
    public int TokenRequestsPerClientPerMinute { get; set; } = 10;
    /// <summary>How long a login session lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(14);
    /// <summary>The page /api/auth/login sends people to when local accounts are the login.</summary>
    public string LoginPage { get; set; } = "/login";
    /// <summary>The instance as an OpenID Connect provider (OpenIddict).</summary>
    public OAuthServerOptions Server { get; set; } = new();
    /// <summary>Log in with OpenStreetMap accounts.</summary>
    public OpenStreetMapOptions OpenStreetMap { get; set; } = new();
    /// <summary>Log in with any OpenID Connect provider (Keycloak, another Panoramax instance…).</summary>
    public OidcProviderOptions Oidc { get; set; } = new();
    /// <summary>
    /// Where /api/auth/login goes without an explicit provider: <c>local</c> (the login page), <c>OpenStreetMap</c> or
    /// the OIDC provider's name. Empty: the login page when local accounts are on, else the one external provider.
    /// </summary>
    public string? LoginProvider { get; set; }
}

/// <summary><c>Panoramax:Auth:OpenStreetMap</c>: an OAuth 2 application registered on openstreetmap.org.</summary>
public sealed class OpenStreetMapOptions
{
    public const string ProviderName = "OpenStreetMap";
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>
    /// Another OSM server (a test fake, a private OSM): its <c>/oauth2/authorize</c> and <c>/oauth2/token</c> are used and the
    /// account is read from <c>{ApiUrl or BaseUrl}/api/0.6/user/details.json</c>. Empty: openstreetmap.org via OpenID Connect.
    /// </summary>
    public Uri? BaseUrl { get; set; }
    public Uri? ApiUrl { get; set; }
    public bool Enabled => !string.IsNullOrEmpty(ClientId);
}

/// <summary><c>Panoramax:Auth:Oidc</c>: a generic OpenID Connect provider found by discovery from its issuer.</summary>
public sealed class OidcProviderOptions
{
    public Uri? Issuer { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string ProviderName { get; set; } = "oidc";
    public string DisplayName { get; set; } = "OpenID Connect";
    public bool Enabled => Issuer is not null && !string.IsNullOrEmpty(ClientId);
}

/// <summary><c>Panoramax:Auth:Server</c>: this instance's OpenID Connect / OAuth 2 server.</summary>
public sealed class OAuthServerOptions
{
    /// <summary>
    /// Refuse plain-HTTP OAuth requests. Off by default because the embedded default listens on http://127.0.0.1;
    /// turn it on behind a TLS reverse proxy (forwarded headers make the requests HTTPS).
    /// </summary>
    public bool RequireHttps { get; set; }
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);
    /// <summary>PEM (PKCS#8) RSA key signing tokens; default <c>keys/oidc-signing.pem</c>, created on first start.</summary>
    public string? SigningKeyFile { get; set; }
    /// <summary>PEM (PKCS#8) RSA key encrypting tokens; default <c>keys/oidc-encryption.pem</c>, created on first start.</summary>
    public string? EncryptionKeyFile { get; set; }
    /// <summary>Applications allowed to use the server, registered (created or updated) at every start.</summary>
    public List<OAuthClientOptions> Clients { get; set; } = [];
}

/// <summary>One OAuth client: a web page or app (authorization code + PKCE), or a peer / service (client credentials).</summary>
public sealed class OAuthClientOptions
{
    [Required]
    public string ClientId { get; set; } = "";
    /// <summary>Set for confidential clients (servers, peers); public clients (browser apps, CLI) have none and must use PKCE.</summary>
    public string? ClientSecret { get; set; }
    public string? DisplayName { get; set; }
    public List<Uri> RedirectUris { get; set; } = [];
    public List<Uri> PostLogoutRedirectUris { get; set; } = [];
    /// <summary><c>authorization_code</c>, <c>refresh_token</c>, <c>client_credentials</c>; empty means the first two.</summary>
    /// <remarks>Defaults are applied when empty rather than set here: the configuration binder appends to lists.</remarks>
    public List<string> Grants { get; set; } = [];
    /// <summary>Scopes it may ask for besides <c>openid</c> and <c>offline_access</c>; empty means profile, email, roles and api.</summary>
    public List<string> Scopes { get; set; } = [];
}
