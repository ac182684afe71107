using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Accounts;

namespace Panoramax.Auth.Sessions;

/// <summary>
/// The browser session: an encrypted HttpOnly cookie holding only the account id, plus GeoVisio's two plain
/// cookies <c>user_id</c> and <c>user_name</c> that the web viewer reads to know someone is logged in.
/// </summary>
public sealed class SessionCookies(IOptions<AuthOptions> options)
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string SessionCookieName = "session";
    public const string UserIdCookie = "user_id";
    public const string UserNameCookie = "user_name";

    public async Task SignInAsync(HttpContext context, Account account)
    {
        var principal = new AuthenticatedAccount(account.Id, account.Name, account.Role == AccountRole.Admin, AuthMethod.Session, account.TosAcceptedAt).ToPrincipal();
        await context.SignInAsync(Scheme, principal, new AuthenticationProperties { IsPersistent = true });
        SetViewerCookies(context, account.Id, account.Name);
    }

    public static async Task SignOutAsync(HttpContext context)
    {
        await context.SignOutAsync(Scheme);
        ClearViewerCookies(context);
    }

    internal void SetViewerCookies(HttpContext context, Guid id, string name)
    {
        var o = ViewerCookieOptions(context);
        context.Response.Cookies.Append(UserIdCookie, id.ToString(), o);
        // ASP.NET Core URL-encodes cookie values, as GeoVisio does for user_name.
        context.Response.Cookies.Append(UserNameCookie, name, o);
    }

    internal static void ClearViewerCookies(HttpContext context)
    {
        context.Response.Cookies.Delete(UserIdCookie, new CookieOptions { Path = "/" });
        context.Response.Cookies.Delete(UserNameCookie, new CookieOptions { Path = "/" });
    }

    private CookieOptions ViewerCookieOptions(HttpContext context) => new()
    {
        Path = "/",
        // Read by the viewer's JavaScript: it holds nothing secret, the session cookie does the authenticating.
        HttpOnly = false,
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps,
        MaxAge = options.Value.SessionLifetime,
        IsEssential = true,
    };
}
