using Panoramax.Persistence.Queries;
using Panoramax.Server.Map;

namespace Panoramax.Server.Manage;

/// <summary>
/// What an edit does to the map once committed: cached tiles are forgotten and the low-zoom grid cells the edit
/// touched are recounted before the response, so a hidden or deleted picture is gone from every public route within
/// the same request.
/// </summary>
public sealed class MapRefresh(TileCache tiles, PictureGridRefresher grid, CatalogExtentCache extent, MapCacheBroadcast others, ILogger<MapRefresh> logger)
{
    public async Task AfterEditAsync()
    {
        tiles.Invalidate();
        // The landing page's catalogue extent must not keep a hidden or deleted sequence.
        extent.Invalidate();
        try
        {
            // Not cancelled with the request: a half-done refresh would only leave the previous grid anyway.
            await grid.RefreshAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "Refreshing the map grid after an edit failed; the periodic refresh will catch up");
        }
        // Tiles built while the grid was refreshing may hold the old grid.
        tiles.Invalidate();
        // The other server processes on this database (behind a load balancer) are told before we answer; each drops its
        // caches as the notification arrives, within milliseconds.
        await others.TellOthersAsync();
    }
}
