using Panoramax.Federation;
using Panoramax.Jobs.Publication;
using Panoramax.Persistence.Queries;

namespace Panoramax.Server.Map;

/// <summary>
/// New, changed and withdrawn pictures show on the map and in the landing extent at once, whether published here or
/// applied from a peer's feed: cached tiles and the extent are dropped at once and the low-zoom grid is refreshed within
/// a second (publications) or five (applies, see <see cref="PictureGridRefreshRequests"/>).
/// </summary>
public sealed class MapChangeListener(TileCache tiles, PictureGridRefreshRequests grid, CatalogExtentCache extent, MapCacheBroadcast others) : IPublicationListener, IReplicaChangeListener
{
    public Task OnPublishedAsync(IReadOnlyList<PublishedPicture> pictures, CancellationToken ct)
    {
        Forget(PictureGridRefreshRequests.PublicationWindow);
        return Task.CompletedTask;
    }

    public void OnReplicaChanged() => Forget(PictureGridRefreshRequests.ReplicaWindow);

    private void Forget(TimeSpan gridWithin)
    {
        tiles.Invalidate();
        extent.Invalidate();
        others.TellOthers();
        grid.Request(gridWithin);
    }
}
