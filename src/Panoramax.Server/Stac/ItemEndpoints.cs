using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>Pictures as STAC items: the items of a sequence (rank order, paged by rank) and single items.</summary>
public static class ItemEndpoints
{
    /// <summary>Related pictures: other sequences within this distance (metres) and heading difference (degrees).</summary>
    private const double RelatedRadiusM = 15, RelatedMaxHeadingDiff = 100;

    public static RouteGroupBuilder MapItems(this RouteGroupBuilder api)
    {
        api.MapGet("/collections/{id:guid}/items", ListAsync).WithName("ListItems").WithSummary("Pictures of a sequence, in rank order");
        api.MapGet("/collections/{collectionId:guid}/items/{id:guid}", (Guid id, LinkBuilder l, CurrentViewer c, [ReadPool] NpgsqlDataSource d, IOptions<PanoramaxOptions> o, CancellationToken ct) => GetAsync(id, l, c, d, o, ct))
            .WithName("GetItem").WithSummary("One picture");
        api.MapGet("/pictures/{id:guid}", GetAsync).WithName("GetPicture").WithSummary("One picture, without its sequence id");
        api.MapGet("/queryables", () => Results.Json(
            Queryables.Document("/api/queryables", "Pictures", Queryables.Items, semantics: true), ApiJson.Options, "application/schema+json"))
            .WithName("ItemQueryables");
        return api;
    }

    internal static async Task<IResult> GetAsync(Guid id, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var (item, related) = await ItemQuery.ReadWithRelatedAsync(db, viewer, id, RelatedRadiusM, RelatedMaxHeadingDiff, ct);
        var row = item ?? throw ApiException.NotFound($"Picture {id} not found");
        return StacItemJson.Item(row, links, options.Value.Instance.LicenseId, related);
    }

    internal static async Task<IResult> ListAsync(Guid id, HttpRequest request, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var q = request.Query;
        var viewer = current.Viewer;
        int? limit = string.IsNullOrEmpty(q["limit"]) ? null : StacParams.Limit(q["limit"], 1, 10_000, 10_000);
        var startAfter = OptionalInt(q["startAfterRank"], "startAfterRank", 1);
        Guid? withPicture = null;
        if (!string.IsNullOrEmpty(q["withPicture"]))
        {
            withPicture = Guid.TryParse(q["withPicture"], out var wp) ? wp : throw ApiException.BadRequest("withPicture must be a picture id (UUID)", new { input = q["withPicture"].ToString() });
            if (startAfter is not null)
            {
                throw ApiException.BadRequest("withPicture and startAfterRank cannot be used together");
            }
        }

        var sequence = await CollectionQuery.ReadAsync(db, viewer, new CollectionFilter { Id = id, IncludeUnpublishedForOwner = true }, [new CollectionSort("id", false)], null, 1, ct);
        if (sequence.Count == 0)
        {
            throw ApiException.NotFound($"Collection {id} not found");
        }
        var ranks = await RanksAsync(db, viewer, id, ct);
        if (withPicture is { } picture)
        {
            var pictureRank = await RankOfAsync(db, viewer, id, picture, ct) ?? throw ApiException.NotFound($"Picture {picture} is not in collection {id}");
            if (limit is { } l)
            {
                var index = ranks.BinarySearch(pictureRank);
                var pageStart = index - index % l;
                startAfter = pageStart == 0 ? null : ranks[pageStart - 1];
            }
        }
        if (startAfter is { } sa && (ranks.Count == 0 || sa >= ranks[^1]))
        {
            throw ApiException.NotFound($"No picture after rank {sa} in collection {id}");
        }

        var rows = await ItemQuery.ReadAsync(db, viewer, new ItemFilter { SequenceId = id, AfterRank = startAfter, IncludeUnpublishedForOwner = true }, ItemOrder.Rank, limit, null, ct);
        var license = options.Value.Instance.LicenseId;
        var self = links.Base + request.Path + request.QueryString;
        var itemsUrl = links.Api($"/api/collections/{id}/items");
        var l2 = new JsonArray
        {
            StacCollectionJson.Link("root", links.Api("/api"), ApiJson.Json),
            StacCollectionJson.Link("parent", links.Api($"/api/collections/{id}"), ApiJson.Json),
            StacCollectionJson.Link("self", self, ApiJson.GeoJson),
        };
        if (limit is { } lim && ranks.Count > lim)
        {
            var firstIndex = startAfter is { } s ? ranks.FindIndex(r => r > s) : 0;
            var lastIndex = firstIndex + rows.Count - 1;
            string Page(int? after) => after is null ? $"{itemsUrl}?limit={lim}" : $"{itemsUrl}?limit={lim}&startAfterRank={after}";
            if (firstIndex > 0)
            {
                l2.Add(StacCollectionJson.Link("first", Page(null), ApiJson.GeoJson));
                var prevStart = Math.Max(0, firstIndex - lim);
                l2.Add(StacCollectionJson.Link("prev", Page(prevStart == 0 ? null : ranks[prevStart - 1]), ApiJson.GeoJson));
            }
            if (lastIndex < ranks.Count - 1 && rows.Count > 0)
            {
                l2.Add(StacCollectionJson.Link("next", Page(rows[^1].Rank), ApiJson.GeoJson));
                var lastStart = (ranks.Count - 1) / lim * lim;
                l2.Add(StacCollectionJson.Link("last", Page(lastStart == 0 ? null : ranks[lastStart - 1]), ApiJson.GeoJson));
            }
        }
        return StacItemJson.FeatureCollection(rows, links, license, l2);
    }

    private static int? OptionalInt(string? text, string name, int min)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min
            ? v
            : throw ApiException.BadRequest($"{name} must be an integer ≥ {min}", new { input = text });
    }

    /// <summary>Ranks of the pictures of a sequence this viewer may see, ascending (cheap: index-only on (sequence_id, rank)).</summary>
    private static async Task<List<int>> RanksAsync(NpgsqlDataSource db, Viewer viewer, Guid sequenceId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        var visible = VisibilitySql.Predicate("p", viewer, cmd.Parameters, publishedOnly: false);
        cmd.CommandText = $"SELECT p.rank FROM pictures p WHERE p.sequence_id = @seq AND {visible} ORDER BY p.rank";
        cmd.Parameters.AddWithValue("seq", sequenceId);
        var ranks = new List<int>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            ranks.Add(r.GetInt32(0));
        }
        return ranks;
    }

    private static async Task<int?> RankOfAsync(NpgsqlDataSource db, Viewer viewer, Guid sequenceId, Guid pictureId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        var visible = VisibilitySql.Predicate("p", viewer, cmd.Parameters, publishedOnly: false);
        cmd.CommandText = $"SELECT p.rank FROM pictures p WHERE p.sequence_id = @seq AND p.id = @pic AND {visible}";
        cmd.Parameters.AddWithValue("seq", sequenceId);
        cmd.Parameters.AddWithValue("pic", pictureId);
        return await cmd.ExecuteScalarAsync(ct) as int?;
    }
}
