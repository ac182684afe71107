using Panoramax.Jobs.Publication;
using Panoramax.Persistence.Queries;

namespace Panoramax.Server.Map;

/// <summary>New pictures appear on the map and in the landing extent at once: cached tiles and the extent are dropped and the low-zoom grid is refreshed soon.</summary>
public sealed class MapPublicationListener(TileCache tiles, PictureGridRefreshRequests grid, CatalogExtentCache extent) : IPublicationListener
{
    public Task OnPublishedAsync(IReadOnlyList<PublishedPicture> pictures, CancellationToken ct)
    {
        tiles.Invalidate();
        extent.Invalidate();
        grid.Request();
        return Task.CompletedTask;
    }
}
