using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Routing;
using Panoramax.Auth.Local;
using Panoramax.Auth.OAuth;
using Panoramax.Auth.Sessions;
using Panoramax.Auth.Tokens;

namespace Panoramax.Auth;

public static class AuthExtensions
{
    /// <summary>
    /// Accounts, sessions and API tokens. <paramref name="keysDirectory"/> (var/keys) holds the API token secret and
    /// the data-protection keys of session cookies, so both survive restarts and are shared by hosts sharing it.
    /// </summary>
    public static IServiceCollection AddPanoramaxAuth(this IServiceCollection services, IConfiguration configuration, string keysDirectory)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        services.AddSingleton(_ => TokenSigningKey.LoadOrCreate(keysDirectory));
        services.AddScoped<ApiTokenService>();
        services.AddScoped<LocalAccountService>();
        services.AddSingleton<SessionCookies>();
        services.AddDataProtection()
            .SetApplicationName("panoramax")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(keysDirectory, "data-protection")));
        services.AddAuthentication(SessionCookies.Scheme).AddCookie(SessionCookies.Scheme, o =>
        {
            o.Cookie.Name = SessionCookies.SessionCookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.IsEssential = true;
            o.ExpireTimeSpan = options.SessionLifetime;
            o.SlidingExpiration = true;
            // API callers get status codes, never a redirect to a login page.
            o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
            o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
        });
        OAuthServer.Add(services, options, keysDirectory);
        return services;
    }

    /// <summary>Identifies the caller of every request (place it after CORS, before the endpoints).</summary>
    public static IApplicationBuilder UsePanoramaxAuth(this IApplicationBuilder app)
    {
        // OpenIddict's server and validation handlers answer their own endpoints from the authentication middleware.
        app.UseAuthentication();
        return app.UseMiddleware<PanoramaxAuthentication>();
    }

    /// <summary>The OpenID Connect endpoints that need our code (authorize, token, userinfo).</summary>
    public static IEndpointRouteBuilder MapPanoramaxOAuth(this IEndpointRouteBuilder app)
    {
        OAuthServer.Map(app);
        return app;
    }
}
