using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Panoramax.Auth;
using Panoramax.Auth.Local;
using Panoramax.Auth.OAuth;
using Panoramax.Auth.Sessions;
using Panoramax.Auth.Tokens;
using Panoramax.Persistence;
using Panoramax.Server.Http;

namespace Panoramax.Server.Accounts;

/// <summary>
/// GeoVisio's <c>/api/auth/*</c> routes: login (a redirect to the login page or provider), logout, the local account
/// forms, and the generate/claim flow of the upload CLI (it gets a token and a URL the user opens while logged in).
/// </summary>
public static class AuthEndpoints
{
    public const string LocalProvider = "local";

    public static RouteGroupBuilder MapAuth(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Auth").AddEndpointFilter(async (ctx, next) =>
            ctx.HttpContext.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled
                ? await next(ctx)
                : ApiError.Result(StatusCodes.Status501NotImplemented, "authentication is not activated on this instance"));
        auth.MapGet("/login", Login).WithName("Login").WithSummary("Start logging in (302 to the login page or provider)");
        auth.MapGet("/logout", LogoutAsync).WithName("Logout");
        auth.MapMethods("/redirect", [HttpMethods.Get, HttpMethods.Post], ExternalRedirectAsync).WithName("LoginRedirect").ExcludeFromDescription().DisableAntiforgery();
        auth.MapPost("/local/login", LocalLoginAsync).WithName("LocalLogin").WithSummary("Log in with a name (or e-mail) and a password (form or JSON)").DisableAntiforgery();
        auth.MapPost("/local/register", RegisterAsync).WithName("Register").WithSummary("Create a local account (form or JSON)").DisableAntiforgery();
        auth.MapPost("/tokens/generate", GenerateAsync).WithName("GenerateToken").WithSummary("Make an unclaimed token for a client that cannot log in itself (CLI)");
        auth.MapGet("/tokens/{id:guid}/claim", ClaimPageAsync).WithName("ClaimTokenPage").RequireLoginWithRedirect();
        auth.MapPost("/tokens/{id:guid}/claim", ClaimAsync).WithName("ClaimToken").RequireLogin().DisableAntiforgery();
        return api;
    }

    internal static IResult Login(HttpContext http, IOptions<AuthOptions> options, string? next_url, string? provider)
    {
        var next = SafeNextUrl(http.Request, next_url);
        if (http.Account() is not null && provider is null)
        {
            return Results.Redirect(next ?? "/");
        }
        var o = options.Value;
        var externals = ExternalLogins.Providers(o);
        var chosen = provider ?? (string.IsNullOrEmpty(o.LoginProvider) ? null : o.LoginProvider) ?? (o.LocalAccounts ? LocalProvider : externals.Count > 0 ? externals[0].Name : null)
            ?? throw ApiException.Forbidden("No login method is configured on this instance");
        if (chosen == LocalProvider)
        {
            return o.LocalAccounts
                ? Results.Redirect(next is null ? o.LoginPage : $"{o.LoginPage}?next_url={Uri.EscapeDataString(next)}")
                : throw ApiException.BadRequest("This instance has no local accounts");
        }
        return externals.Any(e => e.Name == chosen)
            ? ExternalLogins.Challenge(chosen, next ?? "/")
            : throw ApiException.BadRequest($"Unknown login provider {chosen}: {string.Join(", ", externals.Select(e => e.Name).Prepend(LocalProvider))}");
    }

    /// <summary>The external provider's callback (GeoVisio's name): account found or created, session opened.</summary>
    internal static async Task<IResult> ExternalRedirectAsync(HttpContext http, ExternalLogins logins, SessionCookies session, CancellationToken ct)
    {
        var (account, returnUrl) = await logins.CompleteAsync(http, ct);
        await session.SignInAsync(http, account);
        return Results.Redirect(SafeNextUrl(http.Request, returnUrl) ?? "/");
    }

    internal static async Task<IResult> LogoutAsync(HttpContext http, string? next_url)
    {
        await SessionCookies.SignOutAsync(http);
        var next = SafeNextUrl(http.Request, next_url);
        return next is null
            ? Results.Json(new { message = "Logged out" }, ApiJson.Options, statusCode: StatusCodes.Status202Accepted)
            : Results.Redirect(next);
    }

    internal static async Task<IResult> LocalLoginAsync(HttpContext http, LocalAccountService accounts, SessionCookies session, IOptions<AuthOptions> options, IAntiforgery antiforgery, CancellationToken ct)
    {
        var (fields, isForm) = await ReadFieldsAsync(http.Request, ct);
        await CheckFormTokenAsync(http, antiforgery, isForm);
        var next = SafeNextUrl(http.Request, fields.GetValueOrDefault("next_url"));
        try
        {
            Throttle(http, ClientThrottle.Login, "Too many login attempts from your address");
            var account = await accounts.LoginAsync(fields.GetValueOrDefault("name") ?? fields.GetValueOrDefault("email") ?? fields.GetValueOrDefault("login"), fields.GetValueOrDefault("password"), ct);
            await session.SignInAsync(http, account);
            return isForm ? Results.Redirect(next ?? "/", permanent: false) : Results.Json(new { id = account.Id, name = account.Name }, ApiJson.Options);
        }
        catch (AuthException e) when (isForm)
        {
            return BackToPage(options.Value.LoginPage, e, next);
        }
    }

    internal static async Task<IResult> RegisterAsync(HttpContext http, LocalAccountService accounts, SessionCookies session, IAntiforgery antiforgery, CancellationToken ct)
    {
        var (fields, isForm) = await ReadFieldsAsync(http.Request, ct);
        await CheckFormTokenAsync(http, antiforgery, isForm);
        var next = SafeNextUrl(http.Request, fields.GetValueOrDefault("next_url"));
        try
        {
            Throttle(http, ClientThrottle.Registration, "Too many accounts were created from your address");
            var account = await accounts.RegisterAsync(fields.GetValueOrDefault("name"), fields.GetValueOrDefault("email"), fields.GetValueOrDefault("password"), ct);
            await session.SignInAsync(http, account);
            return isForm ? Results.Redirect(next ?? "/") : Results.Json(new { id = account.Id, name = account.Name }, ApiJson.Options, statusCode: StatusCodes.Status201Created);
        }
        catch (AuthException e) when (isForm)
        {
            return BackToPage("/register", e, next);
        }
    }

    internal static async Task<IResult> GenerateAsync(string? description, ApiTokenService tokens, LinkBuilder links, HttpContext http, CancellationToken ct)
    {
        Throttle(http, ClientThrottle.TokenRequest, "Too many tokens were asked for from your address");
        if (description?.Length > 1000)
        {
            throw ApiException.BadRequest("description is too long (1000 characters at most)");
        }
        var issued = await tokens.IssueAsync(null, description, ct);
        return Results.Json(new
        {
            id = issued.Token.Id,
            jwt_token = issued.Jwt,
            description = issued.Token.Description,
            generated_at = StacTime.Utc(issued.Token.GeneratedAt),
            links = new[] { new Link("claim", links.Api($"/api/auth/tokens/{issued.Token.Id}/claim"), "text/html") },
        }, ApiJson.Options);
    }

    /// <summary>A 429 (with Retry-After; forms show it on their page) when the caller has used up this throttle's budget.</summary>
    private static void Throttle(HttpContext http, string throttle, string what)
    {
        if (http.RequestServices.GetRequiredKeyedService<ClientThrottle>(throttle).RetryAfterSeconds(http) is { } seconds)
        {
            throw new AuthException(StatusCodes.Status429TooManyRequests, $"{what}: try again in {seconds} s")
            {
                RetryAfterSeconds = seconds,
            };
        }
    }

    /// <summary>
    /// The page the CLI sends its user to. Claiming hands the token the user's rights, so it takes a deliberate
    /// click (a form POST from this page), never a mere visit a third-party page could trigger.
    /// </summary>
    internal static async Task<IResult> ClaimPageAsync(Guid id, HttpContext http, PanoramaxDbContext db, CancellationToken ct)
    {
        var token = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id && t.RevokedAt == null, ct)
            ?? throw ApiException.NotFound($"Token {id} not found");
        var me = http.Account()!;
        if (token.AccountId is { } owner && owner != me.Id)
        {
            throw ApiException.Forbidden("This token has already been claimed by someone else");
        }
        var description = WebUtility.HtmlEncode(token.Description ?? "(no description)");
        var name = WebUtility.HtmlEncode(me.Name);
        var body = token.AccountId is not null
            ? $"<p>This token is already yours: the application that asked for it can be used now.</p>"
            : $"""
              <p>An application (for example the upload command line) asked for an access token: <strong>{description}</strong>.</p>
              <p>Accepting lets it act as <strong>{name}</strong> on this instance until you revoke the token from your account page.</p>
              <form method="post"><button type="submit">Accept and link this token to my account</button></form>
              """;
        return Results.Content(Page("Link a token to your account", body), "text/html; charset=utf-8");
    }

    internal static async Task<IResult> ClaimAsync(Guid id, HttpContext http, ApiTokenService tokens, CancellationToken ct)
    {
        await tokens.ClaimAsync(http.Account()!.Id, id, ct);
        return Results.Content(Page("Token accepted", "<p>You are now logged in the application: you can close this page and go back to it.</p>"), "text/html; charset=utf-8");
    }

    private static string Page(string title, string body) => $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{title}</title></head>
        <body><main><h1>{title}</h1>{body}</main></body></html>
        """;

    private static Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult BackToPage(string page, AuthException e, string? next)
    {
        var url = $"{page}?error={Uri.EscapeDataString(e.Message)}";
        if (next is not null)
        {
            url += $"&next_url={Uri.EscapeDataString(next)}";
        }
        // 302 after a POST: the browser comes back to the page with a GET.
        return TypedResults.Redirect(url, permanent: false, preserveMethod: false);
    }

    /// <summary>
    /// Browser forms must come from our own pages (antiforgery token), so that another site cannot log someone into an
    /// account of its choosing. JSON callers (scripts, the CLI) cannot be driven cross-site with cookies.
    /// </summary>
    private static async Task CheckFormTokenAsync(HttpContext http, IAntiforgery antiforgery, bool isForm)
    {
        if (!isForm)
        {
            return;
        }
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            throw ApiException.BadRequest("This form has expired or did not come from this site: reload the page and try again");
        }
    }

    /// <summary>Fields of a form post or a flat JSON object, and which one it was.</summary>
    internal static async Task<(Dictionary<string, string?> Fields, bool IsForm)> ReadFieldsAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.HasFormContentType)
        {
            var form = await FormBody.ReadAsync(request, ct);
            return (form.ToDictionary(kv => kv.Key, kv => (string?)kv.Value.ToString(), StringComparer.Ordinal), true);
        }
        var body = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            "Send a form (application/x-www-form-urlencoded) or a JSON object", "The request body must be a JSON object", ct);
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var p in body.EnumerateObject())
        {
            fields[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Null => null,
                _ => throw ApiException.BadRequest($"{p.Name} must be a string"),
            };
        }
        return (fields, false);
    }

    /// <summary>Where to go after login or logout: a path of this site or a URL on this host, nothing else (no open redirect).</summary>
    internal static string? SafeNextUrl(HttpRequest request, string? next)
    {
        if (string.IsNullOrWhiteSpace(next))
        {
            return null;
        }
        if (next.StartsWith('/') && !next.StartsWith("//", StringComparison.Ordinal) && !next.StartsWith("/\\", StringComparison.Ordinal))
        {
            return next;
        }
        return Uri.TryCreate(next, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            ? uri.ToString()
            : null;
    }
}
