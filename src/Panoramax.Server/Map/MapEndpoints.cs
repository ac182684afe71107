using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Map;

/// <summary>
/// Vector tiles and styles of the map (viewer contract §3) and the instance's own base map. Tiles are always 200,
/// with an empty body when nothing is there: the viewer counts an errored tile as never loaded and spins forever.
/// </summary>
public static class MapEndpoints
{
    public const string VectorTileType = "application/vnd.mapbox-vector-tile";

    public static RouteGroupBuilder MapVectorTiles(this RouteGroupBuilder api)
    {
        api.MapGet("/map/style.json", GetStyle).WithName("MapStyle").WithSummary("MapLibre style of the general map (sequences, pictures, grid)");
        api.MapGet("/map/{z}/{x}/{y}.{format}", GetTileAsync).WithName("MapTile").WithSummary("Vector tile (MVT) of the general map: grid to z6, sequences from z6, pictures at z15");
        api.MapGet("/users/{userId}/map/style.json", GetUserStyle).WithName("UserMapStyle").WithSummary("MapLibre style of one user's sequences and pictures");
        api.MapGet("/users/{userId}/map/{z}/{x}/{y}.{format}", GetUserTileAsync).WithName("UserMapTile").WithSummary("Vector tile (MVT) of one user's sequences (every zoom) and pictures (z15)");
        api.MapGet("/map/base-style.json", GetBaseStyle).WithName("BaseMapStyle").WithSummary("The instance's own neutral base map (no third-party server)");
        api.MapGet("/map/base/{z}/{x}/{y}.png", GetBaseTile).WithName("BaseMapTile").WithSummary("Neutral raster tile of the base map");
        return api;
    }

    internal static IResult GetStyle(LinkBuilder links, IOptions<PanoramaxOptions> options) =>
        Results.Json(MapStyles.Api(options.Value.Instance.Name, "geovisio", links.Api("/api/map/{z}/{x}/{y}.mvt"), withGrid: true), ApiJson.Options, ApiJson.Json);

    internal static IResult GetUserStyle(string userId, LinkBuilder links, CurrentViewer viewer, IOptions<PanoramaxOptions> options)
    {
        var id = ParseUser(userId, viewer);
        return Results.Json(
            MapStyles.Api($"{options.Value.Instance.Name} – {id}", $"geovisio_{id}", links.Api($"/api/users/{id}/map/{{z}}/{{x}}/{{y}}.mvt"), withGrid: false),
            ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> GetTileAsync(string z, string x, string y, string format, HttpContext http, [ReadPool] NpgsqlDataSource db, CurrentViewer viewer, TileCache cache, IOptions<MapOptions> options, CancellationToken ct)
    {
        var tile = ParseTile(z, x, y, format, VectorFormats);
        var entry = viewer.Viewer.IsLoggedIn
            ? TileCache.Make(await VectorTileQuery.GeneralAsync(db, tile, viewer.Viewer, ct))
            // A shared build is not cancelled by whichever request happened to start it.
            : await cache.GetOrBuildAsync($"general/{tile.Z}/{tile.X}/{tile.Y}", () => VectorTileQuery.GeneralAsync(db, tile, viewer.Viewer, CancellationToken.None));
        return TileResult(http, entry, viewer, options.Value);
    }

    internal static async Task<IResult> GetUserTileAsync(string userId, string z, string x, string y, string format, HttpContext http, [ReadPool] NpgsqlDataSource db, CurrentViewer viewer, TileCache cache, IOptions<MapOptions> options, CancellationToken ct)
    {
        var account = ParseUser(userId, viewer);
        var tile = ParseTile(z, x, y, format, VectorFormats);
        var entry = viewer.Viewer.IsLoggedIn
            ? TileCache.Make(await VectorTileQuery.UserAsync(db, tile, account, viewer.Viewer, ct))
            : await cache.GetOrBuildAsync($"user/{account}/{tile.Z}/{tile.X}/{tile.Y}", () => VectorTileQuery.UserAsync(db, tile, account, viewer.Viewer, CancellationToken.None));
        return TileResult(http, entry, viewer, options.Value);
    }

    internal static IResult GetBaseStyle(LinkBuilder links, IOptions<PanoramaxOptions> options) =>
        Results.Json(MapStyles.Base($"{options.Value.Instance.Name} base map", links.Api("/api/map/base/{z}/{x}/{y}.png")), ApiJson.Options, ApiJson.Json);

    internal static IResult GetBaseTile(string z, string x, string y, HttpContext http, BaseMapTile tile)
    {
        ParseTile(z, x, y, "png", RasterFormats, maxZoom: 22);
        // The same image everywhere: let browsers keep it for a day.
        return Cached(http, tile.Png, "image/png", tile.ETag, "public, max-age=86400");
    }

    private static IResult TileResult(HttpContext http, TileCache.Entry tile, CurrentViewer viewer, MapOptions options)
    {
        // A logged-in caller's tile may hold their hidden data: keep it out of shared caches.
        var scope = viewer.Viewer.IsLoggedIn ? "private" : "public";
        return Cached(http, tile.Body, VectorTileType, tile.ETag, $"{scope}, max-age={(int)options.TileMaxAge.TotalSeconds}");
    }

    private static IResult Cached(HttpContext http, byte[] body, string contentType, string etag, string cacheControl)
    {
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = cacheControl;
        if (http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*")))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(body, contentType);
    }

    private static readonly string[] VectorFormats = ["mvt", "pbf"];
    private static readonly string[] RasterFormats = ["png"];

    private static TileAddress ParseTile(string z, string x, string y, string format, string[] formats, int maxZoom = TileAddress.MaxZoom)
    {
        if (!formats.Contains(format, StringComparer.Ordinal))
        {
            throw ApiException.BadRequest($"Unknown tile format '{format}': use .{string.Join(" or .", formats)}");
        }
        if (!TryInt(z, out var zi) || !TryInt(x, out var xi) || !TryInt(y, out var yi))
        {
            throw ApiException.NotFound("No such tile: z, x and y must be integers");
        }
        var tile = new TileAddress(zi, xi, yi);
        var inPyramid = zi >= 0 && zi <= maxZoom && xi >= 0 && yi >= 0 && xi < (1L << zi) && yi < (1L << zi);
        if (!inPyramid)
        {
            throw ApiException.NotFound($"No such tile {zi}/{xi}/{yi}: zoom goes from 0 to {maxZoom} and x, y from 0 to 2^zoom - 1");
        }
        return tile;
    }

    private static bool TryInt(string s, out int value) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    /// <summary>A user id, or <c>me</c> for the logged-in caller (GeoVisio's <c>/api/users/me/map/…</c>, own data included).</summary>
    private static Guid ParseUser(string userId, CurrentViewer viewer)
    {
        if (userId == "me")
        {
            return viewer.Viewer.AccountId ?? throw ApiException.Unauthorized("Authentication is mandatory");
        }
        return Guid.TryParse(userId, out var id) ? id : throw ApiException.NotFound($"Unknown user '{userId}'");
    }
}
