using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Domain.Visibility;
using Panoramax.Federation;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Federation;

/// <summary>
/// Our answer to a peer's live search: the STAC Items our <c>/api/search</c> gives an anonymous caller (public, ready
/// pictures, own and replicated), with absolute links to this instance and file hrefs to each picture's origin.
/// </summary>
internal sealed class LocalLiveSearch(NpgsqlDataSource db, IFederationHost host, IOptions<PanoramaxOptions> options) : ILocalSearch
{
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(LiveSearchQuery query, CancellationToken ct)
    {
        var bbox = query.Bbox is [var minX, var minY, var maxX, var maxY] ? new Bbox(minX, minY, maxX, maxY) : null;
        var (order, point) = SearchEndpoints.ParseOrder(null, bbox, null);
        var rows = await ItemQuery.ReadAsync(db, Viewer.Anonymous, new ItemFilter
        {
            Ids = query.Ids,
            Bbox = bbox is null ? null : (bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY),
            CapturedFrom = query.CapturedFrom,
            CapturedTo = query.CapturedTo,
            WithNeighbours = false,
        }, order, query.Limit, point, ct);
        var links = LinkBuilder.ForBase(host.PublicBaseUrl);
        var license = options.Value.Instance.LicenseId;
        return [.. rows.Select(row => new SearchHit(row.Id, StacItemJson.ToUtf8(row, links, license)))];
    }
}
