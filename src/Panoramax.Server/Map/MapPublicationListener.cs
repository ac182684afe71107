using Panoramax.Jobs.Publication;

namespace Panoramax.Server.Map;

/// <summary>New pictures appear on the map at once: cached tiles are dropped and the low-zoom grid is refreshed soon.</summary>
public sealed class MapPublicationListener(TileCache tiles, PictureGridRefreshRequests grid) : IPublicationListener
{
    public Task OnPublishedAsync(IReadOnlyList<PublishedPicture> pictures, CancellationToken ct)
    {
        tiles.Invalidate();
        grid.Request();
        return Task.CompletedTask;
    }
}
