using System.Net;
using Microsoft.Extensions.Options;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Uploads;

/// <summary>
/// <c>/upload</c>: a plain HTML + JS page (no build step, no framework) that drives the upload-set API from the browser:
/// drop files or folders, progress per file and overall, rejections with their reasons, resume after a reload.
/// The script and stylesheet are embedded in the assembly, so the page works wherever the binary runs.
/// </summary>
public static class UploadPage
{
    public static WebApplication MapUploadPage(this WebApplication app)
    {
        app.MapGet("/upload", GetPage).WithName("UploadPage").ExcludeFromDescription();
        app.MapEmbeddedAssets("/upload", "Panoramax.Server.Uploads.Page");
        return app;
    }

    internal static IResult GetPage(HttpContext http, IOptions<PanoramaxOptions> options, IOptions<UploadOptions> uploads)
    {
        var name = WebUtility.HtmlEncode(options.Value.Instance.Name);
        var forceAuth = options.Value.Auth.ForceAuthOnUpload ? "true" : "false";
        http.Response.Headers.CacheControl = "no-cache";
        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Upload pictures – {{name}}</title>
              <link rel="stylesheet" href="upload/upload.css">
            </head>
            <body data-force-auth="{{forceAuth}}" data-max-file-bytes="{{uploads.Value.MaxFileBytes}}">
              <header><h1>Upload pictures to {{name}}</h1><nav aria-label="Pages"><a href="./">Back to the map</a> · <a href="my/sequences">My sequences</a></nav></header>
              <main>
                <p id="auth-needed" hidden role="alert">You need to be logged in to upload. <a id="login-link" href="api/auth/login">Log in</a></p>
                <section id="resume" hidden aria-labelledby="resume-title">
                  <h2 id="resume-title">Unfinished upload</h2>
                  <p>Upload set <strong id="resume-name"></strong>: <span id="resume-count"></span>. Choose the same files again to send only the missing ones.</p>
                  <button type="button" id="forget">Start a new upload instead</button>
                </section>
                <form id="upload-form">
                  <p>
                    <label for="title">Title of the sequence</label>
                    <input id="title" name="title" type="text" maxlength="250" required>
                  </p>
                  <div id="drop" tabindex="0" role="button" aria-describedby="drop-help">
                    <p id="drop-help">Drop JPEG pictures or folders here, or choose them below.</p>
                    <p>
                      <label for="files">Pictures</label>
                      <input id="files" type="file" multiple accept="image/jpeg,.jpg,.jpeg">
                      <label for="folder">Folder</label>
                      <input id="folder" type="file" webkitdirectory multiple>
                    </p>
                  </div>
                  <p id="selection" aria-live="polite"></p>
                  <p>
                    <label><input id="blurred" type="checkbox"> These pictures are already blurred</label>
                  </p>
                  <button type="submit" id="start" disabled>Upload</button>
                </form>
                <section aria-labelledby="progress-title">
                  <h2 id="progress-title">Progress</h2>
                  <label for="overall">Overall</label>
                  <progress id="overall" max="1" value="0"></progress>
                  <span id="overall-text" aria-live="polite"></span>
                  <p id="sent" aria-live="polite"></p>
                  <ul id="file-list"></ul>
                </section>
                <section aria-labelledby="rejected-title">
                  <h2 id="rejected-title">Rejected files</h2>
                  <ul id="rejected-list"></ul>
                </section>
                <section aria-labelledby="result-title">
                  <h2 id="result-title">Sequences</h2>
                  <p id="status" aria-live="polite"></p>
                  <ul id="sequence-list"></ul>
                </section>
              </main>
              <script src="upload/upload.js"></script>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8");
    }
}
