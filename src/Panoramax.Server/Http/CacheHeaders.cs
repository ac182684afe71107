namespace Panoramax.Server.Http;

/// <summary>
/// Default caching of API answers, as GeoVisio does: <c>public</c> for anonymous callers, <c>private</c> as soon as the
/// answer may depend on who is logged in. Routes with their own policy (files, tiles) set Cache-Control themselves.
/// </summary>
public static class CacheHeaders
{
    public static IApplicationBuilder UseDefaultApiCaching(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            context.Response.OnStarting(() =>
            {
                var response = context.Response;
                if (response.StatusCode == StatusCodes.Status200OK && !response.Headers.ContainsKey("Cache-Control"))
                {
                    var viewer = context.RequestServices.GetService<CurrentViewer>()?.Viewer;
                    response.Headers.CacheControl = viewer is { IsLoggedIn: true } ? "private" : "public";
                }
                return Task.CompletedTask;
            });
        }
        return next(context);
    });
}
