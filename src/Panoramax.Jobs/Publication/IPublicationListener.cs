namespace Panoramax.Jobs.Publication;

/// <summary>A picture that just became public (status ready) in a sequence.</summary>
public sealed record PublishedPicture(Guid PictureId, Guid SequenceId);

/// <summary>
/// Told after pictures were published (after the commit), so that caches built from published data (map tiles, the
/// low-zoom grid) can be refreshed at once instead of after their expiry. Implementations live where the caches are
/// (the server); they must be quick and must not throw (errors are logged and ignored: the caches expire anyway).
/// </summary>
public interface IPublicationListener
{
    Task OnPublishedAsync(IReadOnlyList<PublishedPicture> pictures, CancellationToken ct);
}
