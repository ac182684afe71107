using System.Text.Json;
using Microsoft.Extensions.Options;
using Panoramax.Jobs.Export;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Exports;

/// <summary>The export job's STAC items: the very document <c>/api/collections/{c}/items/{id}</c> serves, indented for people.</summary>
public sealed class StacExportItemWriter(IOptions<PanoramaxOptions> options) : IExportItemWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = ApiJson.Options.Encoder, Indented = true };
    private LinkBuilder? _links;

    public async Task WriteAsync(Stream destination, ItemRow item, string baseUrl, CancellationToken ct)
    {
        // One export = one base URL: the link builder (and its UTF-8 base) is made once per job.
        var links = _links is { } l && l.Base == baseUrl ? l : _links = LinkBuilder.ForBase(baseUrl);
        await using var w = new Utf8JsonWriter(destination, WriterOptions);
        StacItemJson.Write(w, item, links, options.Value.Instance.LicenseId);
        await w.FlushAsync(ct);
    }
}
