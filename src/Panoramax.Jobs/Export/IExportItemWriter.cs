using Panoramax.Persistence.Queries;

namespace Panoramax.Jobs.Export;

/// <summary>
/// Writes a picture's STAC Item as the API serves it. The renderer belongs to the host (it knows the API's JSON
/// shapes); the export job only needs this port, as federation needs its payload renderer.
/// </summary>
public interface IExportItemWriter
{
    /// <param name="destination">Where the JSON document goes (an archive entry).</param>
    /// <param name="item">The picture, as <see cref="ItemQuery"/> reads it.</param>
    /// <param name="baseUrl">Public base URL for the document's hrefs (the one the export was asked on).</param>
    /// <param name="ct">Cancellation.</param>
    Task WriteAsync(Stream destination, ItemRow item, string baseUrl, CancellationToken ct);
}
