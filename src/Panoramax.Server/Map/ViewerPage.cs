using System.Net;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Map;

/// <summary>
/// The official web viewer (<c>@panoramax/web-viewer</c>, installed by npm at build time and copied to
/// <c>wwwroot/viewer/</c> of the build output) served at <c>/</c> on our own API and base map. The page answers any
/// query string: the viewer keeps its state (<c>pic</c>, <c>seq</c>, <c>map</c>, filters) there.
/// </summary>
public static class ViewerPage
{
    public static string AssetsDirectory => Path.Combine(AppContext.BaseDirectory, "wwwroot", "viewer");

    public static WebApplication MapViewer(this WebApplication app)
    {
        if (File.Exists(Path.Combine(AssetsDirectory, "index.js")))
        {
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(AssetsDirectory),
                RequestPath = "/viewer",
                OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=3600",
            });
        }
        else
        {
            app.Logger.LogWarning("The web viewer files are missing from {Folder} (npm could not install @panoramax/web-viewer at build time): / shows no map", AssetsDirectory);
        }
        app.MapGet("/", GetPage).WithName("Viewer").WithSummary("The web viewer (HTML)").ExcludeFromDescription();
        return app;
    }

    internal static IResult GetPage(HttpContext http, LinkBuilder links, IOptions<PanoramaxOptions> options, IOptions<ViewerOptions> viewer)
    {
        var name = WebUtility.HtmlEncode(options.Value.Instance.Name);
        var endpoint = WebUtility.HtmlEncode(links.Api("/api"));
        var style = WebUtility.HtmlEncode(viewer.Value.BaseMapStyle?.ToString() ?? links.Api("/api/map/base-style.json"));
        var assets = WebUtility.HtmlEncode(links.Api("/viewer/"));
        http.Response.Headers.CacheControl = "no-cache";
        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>{{name}} – street-level pictures</title>
              <meta name="description" content="{{WebUtility.HtmlEncode(options.Value.Instance.Description)}}">
              <link rel="stylesheet" href="{{assets}}index.css">
              <style>
                html, body { margin: 0; padding: 0; height: 100%; }
                pnx-viewer { display: block; width: 100vw; height: 100vh; }
              </style>
            </head>
            <body>
              <main aria-label="{{name}} map and picture viewer">
                <pnx-viewer endpoint="{{endpoint}}" map-style="{{style}}" url-parameters="true" keyboard-shortcuts="true"></pnx-viewer>
              </main>
              <noscript>The {{name}} viewer needs JavaScript. The API is at <a href="{{endpoint}}">{{endpoint}}</a>.</noscript>
              <script src="{{assets}}index.js"></script>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8");
    }
}
