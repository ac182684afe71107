using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac.Filter;

namespace Panoramax.Server.Stac;

/// <summary>
/// <c>/api/collections</c>: sequences as STAC collections, with keyset paging, bbox/datetime/CQL2 filters,
/// tombstones for harvesters (<c>show_deleted</c>, <c>status IN ('deleted','ready') AND …</c>) and RSS.
/// </summary>
public static class CollectionEndpoints
{
    private static readonly string[] SortFields = ["created", "updated", "datetime", "id"];

    public static RouteGroupBuilder MapCollections(this RouteGroupBuilder api)
    {
        ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<ConformanceRegistry>().Add(
            ConformanceRegistry.StacCollections, ConformanceRegistry.StacOgcFeatures, ConformanceRegistry.StacBrowseable,
            ConformanceRegistry.OgcFeaturesCore, ConformanceRegistry.OgcFeaturesGeoJson, ConformanceRegistry.StacCollectionSearch,
            "https://api.stacspec.org/v1.0.0-rc.1/collection-search#filter", "https://api.stacspec.org/v1.0.0-rc.1/collection-search#sort");
        api.MapGet("/collections", ListAsync).WithName("ListCollections").WithSummary("Sequences as STAC collections (JSON or RSS)");
        api.MapGet("/collections/queryables", () => Results.Json(
            Queryables.Document("/api/collections/queryables", "Collections", Queryables.Collections, semantics: false), ApiJson.Options, "application/schema+json"))
            .WithName("CollectionQueryables");
        api.MapGet("/collections/{id:guid}", GetAsync).WithName("GetCollection").WithSummary("One sequence");
        return api;
    }

    internal static async Task<IResult> ListAsync(
        HttpRequest request, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var q = request.Query;
        var rss = q["format"].ToString() == "rss" || (string.IsNullOrEmpty(q["format"]) && request.Headers.Accept.ToString().Contains("application/rss+xml", StringComparison.OrdinalIgnoreCase));
        if (!string.IsNullOrEmpty(q["format"]) && q["format"] != "rss" && q["format"] != "json")
        {
            throw ApiException.BadRequest("format must be json or rss", new { input = q["format"].ToString() });
        }
        var limit = StacParams.Limit(q["limit"], 1, 1000, 100);
        var bbox = StacParams.ParseBbox(q["bbox"]);
        var datetime = StacParams.ParseDatetime(q["datetime"]);
        var showDeleted = StacParams.ParseBool(q["show_deleted"], "show_deleted");
        var sort = ParseSort(q["sortby"], rss ? "-created" : "+created");

        var extra = new List<string>();
        var parameters = new FilterParameters();
        var filterText = q["filter"].ToString();
        if (!string.IsNullOrWhiteSpace(filterText))
        {
            var (node, harvester) = ParseCollectionFilter(filterText);
            showDeleted |= harvester;
            if (node is not null)
            {
                extra.Add(parameters.Translate(new Cql2Sql(Queryables.Collections, []), node));
            }
        }
        foreach (var (name, op) in new[] { ("created_after", ">"), ("created_before", "<") })
        {
            if (!string.IsNullOrEmpty(q[name]))
            {
                var t = StacParams.ParseDatetime(q[name]) ?? throw ApiException.BadRequest($"{name} is not a date");
                extra.Add($"s.created_at {op} @{name}");
                parameters.Add(new NpgsqlParameter(name, op == ">" ? t.Start : t.End));
            }
        }
        if (rss && showDeleted)
        {
            throw ApiException.BadRequest("RSS feeds cannot show deleted sequences: remove show_deleted or the status filter");
        }

        var filter = new CollectionFilter
        {
            Bbox = bbox is null ? null : (bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY),
            CapturedFrom = datetime?.Start,
            CapturedTo = datetime?.End,
            ShowDeleted = showDeleted,
            ExtraPredicate = extra.Count == 0 ? null : string.Join(" AND ", extra),
            ExtraParameters = parameters.Detach(),
        };
        var page = PageToken.Decode(q["page"], sort);
        var viewer = current.Viewer;
        var keyset = page.Keyset ?? (page.Last ? new Keyset([], Before: true) : null);
        var rows = await CollectionQuery.ReadAsync(db, viewer, filter, sort, keyset, limit + 1, ct);

        // One extra row tells whether another page exists in the direction we read.
        var backwards = keyset?.Before ?? false;
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(backwards ? 0 : rows.Count - 1);
        }
        var hasNext = backwards || more;
        var hasPrev = backwards ? more : page.Keyset is not null;
        if (page.Last)
        {
            hasNext = false;
        }

        var license = options.Value.Instance.LicenseId;
        if (rss)
        {
            return Results.Text(CollectionsRss.Build(rows.Where(r => r.Visible).ToList(), links, options.Value.Instance), "text/xml", System.Text.Encoding.UTF8);
        }

        var collections = new JsonArray();
        foreach (var row in rows)
        {
            collections.Add(row.Visible
                ? StacCollectionJson.Build(row, links, license, single: false, showVisibility: viewer.IsAdmin || viewer.AccountId == row.AccountId)
                : StacCollectionJson.Stub(row.Id, links));
        }
        var self = links.Base + request.Path + request.QueryString;
        var l = new JsonArray
        {
            StacCollectionJson.Link("root", links.Api("/api"), ApiJson.Json),
            StacCollectionJson.Link("parent", links.Api("/api"), ApiJson.Json),
            StacCollectionJson.Link("self", self, ApiJson.Json),
            StacCollectionJson.Link("http://www.opengis.net/def/rel/ogc/1.0/queryables", links.Api("/api/collections/queryables"), "application/schema+json"),
        };
        if (hasPrev && rows.Count > 0)
        {
            l.Add(StacCollectionJson.Link("first", PageUrl(request, links, null), ApiJson.Json));
            l.Add(StacCollectionJson.Link("prev", PageUrl(request, links, PageToken.Before(CollectionQuery.SortValues(rows[0], sort))), ApiJson.Json));
        }
        if (hasNext && rows.Count > 0)
        {
            l.Add(StacCollectionJson.Link("next", PageUrl(request, links, PageToken.After(CollectionQuery.SortValues(rows[^1], sort))), ApiJson.Json));
            l.Add(StacCollectionJson.Link("last", PageUrl(request, links, PageToken.LastPage()), ApiJson.Json));
        }
        return Results.Json(new JsonObject { ["collections"] = collections, ["links"] = l }, ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> GetAsync(
        Guid id, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var rows = await CollectionQuery.ReadAsync(db, viewer, new CollectionFilter { Id = id, IncludeUnpublishedForOwner = true },
            [new CollectionSort("id", false)], null, 1, ct);
        var row = rows.FirstOrDefault() ?? throw ApiException.NotFound($"Collection {id} not found");
        var cameras = await CollectionQuery.CamerasAsync(db, viewer, id, ct);
        var json = StacCollectionJson.Build(row, links, options.Value.Instance.LicenseId, single: true, showVisibility: true, cameras);
        return Results.Json(json, ApiJson.Options, ApiJson.Json);
    }

    /// <summary>Splits off the meta-catalogue harvester's <c>status IN ('deleted','ready') AND …</c> prefix, which means "with tombstones".</summary>
    internal static (Cql2Node? Remaining, bool Harvester) ParseCollectionFilter(string text)
    {
        Cql2Node node;
        try
        {
            node = Cql2Parser.Parse(text);
        }
        catch (Cql2Exception e)
        {
            throw ApiException.BadRequest($"Invalid filter: {e.Message}", new { input = text });
        }
        static bool IsHarvesterStatus(Cql2Node n) =>
            n is Cql2In { Property: var p, Negated: false, Values: var v } && p.Equals("status", StringComparison.OrdinalIgnoreCase)
            && v.Select(x => x.Value as string).Order(StringComparer.Ordinal).SequenceEqual(["deleted", "ready"]);
        if (IsHarvesterStatus(node))
        {
            return (null, true);
        }
        if (node is Cql2And and && IsHarvesterStatus(and.Terms[0]))
        {
            var rest = and.Terms.Skip(1).ToList();
            return (rest.Count == 1 ? rest[0] : new Cql2And(rest), true);
        }
        return (node, false);
    }

    internal static IReadOnlyList<CollectionSort> ParseSort(string? text, string fallback)
    {
        var keys = new List<CollectionSort>();
        foreach (var raw in (string.IsNullOrWhiteSpace(text) ? fallback : text).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var desc = raw.StartsWith('-');
            var field = raw.TrimStart('+', '-', ' ');
            if (!SortFields.Contains(field))
            {
                throw ApiException.BadRequest($"Cannot sort by '{field}': sortby accepts {string.Join(", ", SortFields)} with an optional + or - prefix", new { input = text });
            }
            if (keys.All(k => k.Field != field))
            {
                keys.Add(new CollectionSort(field, desc));
            }
        }
        // Tie-breakers make the order total, which keyset paging needs.
        if (keys.All(k => k.Field != "created"))
        {
            keys.Add(new CollectionSort("created", false));
        }
        if (keys.All(k => k.Field != "id"))
        {
            keys.Add(new CollectionSort("id", false));
        }
        return keys;
    }

    private static string PageUrl(HttpRequest request, LinkBuilder links, string? token)
    {
        var qb = new QueryBuilder();
        foreach (var (k, v) in request.Query.Where(kv => kv.Key != "page"))
        {
            foreach (var value in v)
            {
                qb.Add(k, value ?? "");
            }
        }
        if (token is not null)
        {
            qb.Add("page", token);
        }
        return links.Base + request.Path + qb.ToQueryString();
    }
}
