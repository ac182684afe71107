using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using Panoramax.Auth.Sessions;
using Panoramax.Auth.Tokens;
using Panoramax.Domain.Accounts;
using Panoramax.Persistence;

namespace Panoramax.Auth;

/// <summary>
/// Finds out who is calling, once per request: an <c>Authorization: Bearer</c> API token on /api routes, else the
/// session cookie. The account is then read from the database and published as <see cref="AuthenticatedAccount"/>
/// (and <see cref="HttpContext.User"/>). A bad token is refused at once with GeoVisio's errors rather than
/// silently treated as anonymous, so a client never mistakes a broken token for an empty result.
/// </summary>
internal sealed class PanoramaxAuthentication(RequestDelegate next, IOptions<AuthOptions> options)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public async Task InvokeAsync(HttpContext context)
    {
        if (!options.Value.Enabled)
        {
            await next(context);
            return;
        }
        AuthenticatedAccount? account;
        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count > 0 && context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            var value = authorization.ToString().Trim();
            var space = value.IndexOf(' ', StringComparison.Ordinal);
            if (!string.Equals(space < 0 ? value : value[..space], "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                await WriteErrorAsync(context, 401, "Only Bearer token are supported", null);
                return;
            }
            var raw = space < 0 ? "" : value[(space + 1)..].Trim();
            TokenCheck check;
            if (raw.Length == 0 || ApiTokenService.LooksLikeApiToken(raw))
            {
                check = await context.RequestServices.GetRequiredService<ApiTokenService>().CheckAsync(raw, context.RequestAborted);
            }
            else
            {
                check = await CheckOAuthTokenAsync(context);
                if (check.Account is null && check.Status == 200)
                {
                    // A peer or service (client credentials): authenticated, but it is nobody's account.
                    await next(context);
                    return;
                }
            }
            if (check.Account is null)
            {
                await WriteErrorAsync(context, check.Status, check.Message!, check.Details);
                return;
            }
            account = check.Account;
        }
        else
        {
            account = await FromSessionAsync(context);
            if (account is not null && !IsSameOriginOrSafe(context.Request))
            {
                // Browsers send cookies on cross-site form posts; only our own pages may change state with them.
                await WriteErrorAsync(context, 403, "Cross-site request refused: this request must come from a page of this instance", null);
                return;
            }
        }
        // Always ours: the authentication middleware may have set the cookie's principal of a deleted account.
        context.User = account?.ToPrincipal() ?? new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity());
        if (account is not null)
        {
            context.Features.Set(account);
        }
        await next(context);
    }

    private static async Task<AuthenticatedAccount?> FromSessionAsync(HttpContext context)
    {
        var cookies = context.Request.Cookies;
        if (!cookies.ContainsKey(SessionCookies.SessionCookieName))
        {
            if (cookies.ContainsKey(SessionCookies.UserIdCookie))
            {
                // The session is gone (expired, logged out elsewhere): the viewer must stop showing "logged in".
                SessionCookies.ClearViewerCookies(context);
            }
            return null;
        }
        // A tampered or undecryptable cookie is a failed result here, never an exception.
        var result = await context.AuthenticateAsync(SessionCookies.Scheme);
        var sub = result.Succeeded ? result.Principal.FindFirst(AuthenticatedAccount.IdClaim)?.Value : null;
        AuthenticatedAccount? account = null;
        if (Guid.TryParse(sub, out var id))
        {
            var db = context.RequestServices.GetRequiredService<PanoramaxDbContext>();
            account = await db.Accounts.AsNoTracking().Where(a => a.Id == id)
                .Select(a => new AuthenticatedAccount(a.Id, a.Name, a.Role == AccountRole.Admin, AuthMethod.Session, a.TosAcceptedAt))
                .FirstOrDefaultAsync(context.RequestAborted);
        }
        var session = context.RequestServices.GetRequiredService<SessionCookies>();
        if (account is null)
        {
            // Deleted account or broken cookie: forget the session entirely.
            context.Response.Cookies.Delete(SessionCookies.SessionCookieName, new CookieOptions { Path = "/" });
            SessionCookies.ClearViewerCookies(context);
            return null;
        }
        if (cookies[SessionCookies.UserIdCookie] != account.Id.ToString() || cookies[SessionCookies.UserNameCookie] != account.Name)
        {
            session.SetViewerCookies(context, account.Id, account.Name);
        }
        return account;
    }

    /// <summary>An access token of our OpenID Connect server (authorization code or client credentials).</summary>
    private static async Task<TokenCheck> CheckOAuthTokenAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal is not { } principal)
        {
            return TokenCheck.Invalid("the token is not an access token of this instance, or it expired or was revoked");
        }
        var sub = principal.GetClaim(OpenIddictConstants.Claims.Subject);
        var clientId = principal.GetClaim(OpenIddictConstants.Claims.ClientId);
        if (Guid.TryParse(sub, out var id))
        {
            var db = context.RequestServices.GetRequiredService<PanoramaxDbContext>();
            var account = await db.Accounts.AsNoTracking().Where(a => a.Id == id)
                .Select(a => new AuthenticatedAccount(a.Id, a.Name, a.Role == AccountRole.Admin, AuthMethod.OAuthToken, a.TosAcceptedAt))
                .FirstOrDefaultAsync(context.RequestAborted);
            return account is null ? TokenCheck.Invalid("the account of this token no longer exists") : new TokenCheck(account, 200, null, null);
        }
        if (sub is not null && sub == clientId)
        {
            context.Features.Set(new AuthenticatedClient(sub));
            return new TokenCheck(null, 200, null, null);
        }
        return TokenCheck.Invalid("the token names no account");
    }

    /// <summary>Safe methods always pass; unsafe ones must not name another origin (browsers always send Origin on those).</summary>
    internal static bool IsSameOriginOrSafe(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        {
            return true;
        }
        var origin = request.Headers[HeaderNames.Origin].ToString();
        if (string.IsNullOrEmpty(origin))
        {
            origin = request.Headers[HeaderNames.Referer].ToString();
        }
        if (string.IsNullOrEmpty(origin))
        {
            // Not a browser (CLI, scripts, tests carrying a cookie jar): no cross-site risk.
            return true;
        }
        if (origin == "null" || !Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }
        var expected = $"{request.Scheme}://{request.Host.Value}";
        return string.Equals(uri.GetLeftPart(UriPartial.Authority), expected, StringComparison.OrdinalIgnoreCase);
    }

    internal static Task WriteErrorAsync(HttpContext context, int status, string message, object? details)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object?> { ["message"] = message, ["status_code"] = status };
        if (details is not null)
        {
            body["details"] = details;
        }
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}
