using System.Net;
using Panoramax.Auth;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Pages;

/// <summary>
/// The frame shared by the instance's pages for people (account, my sequences, reports): one stylesheet, the instance
/// name and colour, and a navigation bar to the caller's pages once they are logged in. Page bodies are HTML written by
/// the server; what comes from people (titles, comments) is only ever set by scripts through <c>textContent</c>.
/// </summary>
public static class PageLayout
{
    /// <summary>URL prefix of the pages' shared stylesheet and scripts.</summary>
    public const string AssetsRoute = "/pages";

    private static readonly (string Path, string Label, bool AdminOnly)[] Navigation =
    [
        ("/my/sequences", "My sequences", false),
        ("/my/reports", "My reports", false),
        ("/upload", "Upload", false),
        ("/account", "My account", false),
        ("/admin/reports", "Reports queue", true),
        ("/admin/federation", "Federation", true),
    ];

    /// <summary>Serves the stylesheet and scripts of <c>Pages/Assets</c>.</summary>
    /// <param name="app">The application.</param>
    public static WebApplication MapPageAssets(this WebApplication app)
    {
        app.MapEmbeddedAssets(AssetsRoute, "Panoramax.Server.Pages.Assets");
        return app;
    }

    /// <summary>A whole HTML page.</summary>
    /// <param name="http">The request (who is logged in, which page is current).</param>
    /// <param name="o">Instance name and colour.</param>
    /// <param name="title">Page title and first heading (plain text).</param>
    /// <param name="body">HTML after the heading.</param>
    /// <param name="status">HTTP status of the answer.</param>
    /// <param name="scripts">Asset file names (in <see cref="AssetsRoute"/>) loaded at the end of the body, in order.</param>
    public static IResult Render(HttpContext http, PanoramaxOptions o, string title, string body, int status = 200, params string[] scripts)
    {
        if (!http.Response.Headers.ContainsKey("Cache-Control"))
        {
            // Pages depend on who is logged in; antiforgery may already have asked for no-store.
            http.Response.Headers.CacheControl = "no-cache";
        }
        var nav = "";
        if (http.Account() is { } account)
        {
            var current = http.Request.Path.Value ?? "";
            var items = Navigation.Where(n => !n.AdminOnly || account.IsAdmin).Select(n =>
                $"""<li><a href="{n.Path}"{(current == n.Path ? " aria-current=\"page\"" : "")}>{n.Label}</a></li>""");
            nav = $"""<nav aria-label="Your pages"><ul>{string.Concat(items)}<li><a href="/logout">Log out</a></li></ul></nav>""";
        }
        var tags = string.Concat(scripts.Select(s => $"""<script src="{AssetsRoute}/{E(s)}"></script>"""));
        return Results.Content($$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>{{E(title)}} – {{E(o.Instance.Name)}}</title>
              <link rel="stylesheet" href="{{AssetsRoute}}/pages.css">
              <style>:root { --accent: {{E(o.Instance.Color)}}; }</style>
            </head>
            <body>
              <header><a class="home" href="/">{{E(o.Instance.Name)}}</a>{{nav}}</header>
              <main><h1 id="page-title">{{E(title)}}</h1>
              {{body}}
              </main>
              {{tags}}
            </body>
            </html>
            """, "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>
    /// The 403 page of an administrators' page for a logged-in non-admin (anonymous visitors never get here: the
    /// route sends them to the login first), or null for an admin.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="o">Instance name and colour.</param>
    /// <param name="title">Title of the refused page.</param>
    /// <param name="explanation">HTML saying who may see the page and where to go instead.</param>
    public static IResult? RefuseNonAdmin(HttpContext http, PanoramaxOptions o, string title, string explanation) =>
        http.Account() is { IsAdmin: true } ? null : Render(http, o, title, explanation, StatusCodes.Status403Forbidden);

    /// <summary>HTML-encodes a text for an element or an attribute.</summary>
    /// <param name="text">Plain text.</param>
    public static string E(string text) => WebUtility.HtmlEncode(text);
}
