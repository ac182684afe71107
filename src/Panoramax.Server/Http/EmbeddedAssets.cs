using System.Collections.Concurrent;

namespace Panoramax.Server.Http;

/// <summary>
/// Scripts and stylesheets of the instance's plain HTML pages (upload, my sequences, reports…). They are embedded in
/// the assembly, so the pages work wherever the binary runs with no build step and no folder to deploy. A folder of
/// assets is embedded under one resource prefix (see the <c>EmbeddedResource</c> items of the project file) and served
/// under one route prefix, one GET route per file.
/// </summary>
public static class EmbeddedAssets
{
    private static readonly ConcurrentDictionary<string, string> Texts = new(StringComparer.Ordinal);

    /// <summary>Serves every embedded resource named <c>{resourcePrefix}.{file}</c> at <c>{route}/{file}</c>.</summary>
    /// <param name="app">Where to add the routes.</param>
    /// <param name="route">URL prefix of the files, without trailing slash (e.g. <c>/upload</c>).</param>
    /// <param name="resourcePrefix">Logical name prefix of the resources, without the final dot.</param>
    public static IEndpointRouteBuilder MapEmbeddedAssets(this IEndpointRouteBuilder app, string route, string resourcePrefix)
    {
        var prefix = resourcePrefix + ".";
        var names = typeof(EmbeddedAssets).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (names.Count == 0)
        {
            throw new InvalidOperationException($"No embedded resource starts with {prefix}: check the EmbeddedResource items of the project");
        }
        foreach (var name in names)
        {
            var type = ContentType(name);
            app.MapGet($"{route}/{name[prefix.Length..]}", (HttpContext http) =>
            {
                // Revalidated on each page load: a new version of the server never runs with an old script.
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Text(Texts.GetOrAdd(name, Read), type);
            }).ExcludeFromDescription();
        }
        return app;
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };

    private static string Read(string name)
    {
        using var stream = typeof(EmbeddedAssets).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
