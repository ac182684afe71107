using System.Net;
using Microsoft.Extensions.Options;
using Panoramax.Server.Http;

namespace Panoramax.Server.Hosting;

/// <summary>
/// What the aggregator role (a meta-catalogue of the network) changes in the HTTP surface: every write route of both
/// upload protocols answers 403 with the reason, and <c>/upload</c> says where to upload instead. Reads (upload-set
/// status, <c>geovisio_status</c>) stay: they simply find nothing uploaded here. Everything else — STAC, tiles, viewer,
/// federation sync with every peer, legacy harvests — is the same as on an instance; the job worker does not run
/// (<see cref="Panoramax.Jobs.JobsExtensions.RunsWorker"/>).
/// </summary>
public static class AggregatorRole
{
    public const string NoUploads = "This instance is a meta-catalogue: it does not accept uploads. Upload your pictures to one of the Panoramax instances of the network; they appear here once it syncs.";

    /// <summary>Endpoint filter of the upload routes' group on an aggregator: writes are refused before anything is read.</summary>
    public static ValueTask<object?> RefuseWritesAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        HttpMethods.IsGet(context.HttpContext.Request.Method) || HttpMethods.IsHead(context.HttpContext.Request.Method)
            ? next(context)
            : throw ApiException.Forbidden(NoUploads);

    /// <summary><c>/upload</c> on an aggregator: a plain page (403) that explains, instead of the upload form.</summary>
    public static WebApplication MapNoUploadPage(this WebApplication app)
    {
        app.MapGet("/upload", (HttpContext http, IOptions<PanoramaxOptions> options) =>
        {
            var name = WebUtility.HtmlEncode(options.Value.Instance.Name);
            http.Response.Headers.CacheControl = "no-cache";
            var html = $"""
                <!doctype html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <meta name="viewport" content="width=device-width, initial-scale=1">
                  <title>No uploads here – {name}</title>
                </head>
                <body>
                  <header><h1>{name} does not accept uploads</h1><a href="./">Back to the map</a></header>
                  <main><p id="no-uploads" role="alert">{WebUtility.HtmlEncode(NoUploads)}</p></main>
                </body>
                </html>
                """;
            return Results.Content(html, "text/html; charset=utf-8", statusCode: StatusCodes.Status403Forbidden);
        }).WithName("UploadPage").ExcludeFromDescription();
        return app;
    }
}
