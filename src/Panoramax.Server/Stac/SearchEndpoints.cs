using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Federation;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Federation;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac.Filter;

namespace Panoramax.Server.Stac;

/// <summary>
/// <c>/api/search</c> (GET and POST): pictures by bbox, geometry, time, ids, sequences, "looking at this place",
/// and CQL2 filters (tags, type, camera, user). Ordered by distance to the area's centre when there is one,
/// which is what the viewer relies on to open the picture nearest to a click.
/// </summary>
public static class SearchEndpoints
{
    public static RouteGroupBuilder MapSearch(this RouteGroupBuilder api)
    {
        ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<ConformanceRegistry>().Add(
            ConformanceRegistry.StacItemSearch, ConformanceRegistry.OgcCommonSimpleQuery,
            "https://api.stacspec.org/v1.0.0/item-search#filter", "https://api.stacspec.org/v1.0.0/item-search#sort",
            "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text", "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2");
        api.MapGet("/search", GetAsync).WithName("SearchGet").WithSummary("Search pictures (query parameters)");
        api.MapPost("/search", PostAsync).WithName("SearchPost").WithSummary("Search pictures (JSON body)");
        return api;
    }

    /// <summary>Search parameters, whichever way they came (query string or JSON body).</summary>
    internal sealed record SearchRequest(
        string? Limit, string? Bbox, string? Intersects, string? Datetime, IEnumerable<string?>? Ids, IEnumerable<string?>? Collections,
        string? PlacePosition, string? PlaceDistance, string? PlaceFovTolerance, string? Filter, string? SortBy, string? Federated = null,
        string? Hops = null);

    internal static Task<IResult> GetAsync(HttpRequest request, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var q = request.Query;
        var search = new SearchRequest(q["limit"], q["bbox"], q["intersects"], q["datetime"], q["ids"], q["collections"],
            q["place_position"], q["place_distance"], q["place_fov_tolerance"], q["filter"], q["sortby"], q["federated"], q["hops"]);
        return RunAsync(search, links, current, db, options, request.HttpContext, ct);
    }

    internal static async Task<IResult> PostAsync(HttpRequest request, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var body = await JsonBody.ReadObjectAsync(request, StatusCodes.Status400BadRequest,
            "POST /api/search needs a JSON body with Content-Type: application/json", "The search body must be a JSON object", ct);
        var known = new HashSet<string>(StringComparer.Ordinal) { "limit", "bbox", "intersects", "datetime", "ids", "collections", "place_position", "place_distance", "place_fov_tolerance", "filter", "filter-lang", "sortby", "federated", "hops" };
        var unknown = body.EnumerateObject().Select(p => p.Name).Where(n => !known.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw ApiException.BadRequest($"Unknown search parameter(s): {string.Join(", ", unknown)}", new { accepted = known.Order(StringComparer.Ordinal) });
        }
        var search = new SearchRequest(
            Scalar(body, "limit"), ListOrScalar(body, "bbox"), Geometry(body, "intersects"), Scalar(body, "datetime"),
            List(body, "ids"), List(body, "collections"), ListOrScalar(body, "place_position"), Scalar(body, "place_distance"),
            Scalar(body, "place_fov_tolerance"), Scalar(body, "filter"), SortBy(body), Scalar(body, "federated"), Scalar(body, "hops"));
        return await RunAsync(search, links, current, db, options, request.HttpContext, ct);
    }

    private static async Task<IResult> RunAsync(SearchRequest s, LinkBuilder links, CurrentViewer current, NpgsqlDataSource db, IOptions<PanoramaxOptions> options,
        HttpContext http, CancellationToken ct)
    {
        var services = http.RequestServices;
        var live = LiveFederatedSearch.Requested(s, services);
        var limit = StacParams.Limit(s.Limit, 1, 10_000, 10);
        var bbox = StacParams.ParseBbox(s.Bbox);
        var datetime = StacParams.ParseDatetime(s.Datetime);
        var ids = StacParams.ParseIds(s.Ids, "ids");
        var collections = StacParams.ParseIds(s.Collections, "collections");
        var intersects = ValidateGeometry(s.Intersects);
        if (bbox is not null && intersects is not null)
        {
            throw ApiException.BadRequest("bbox and intersects cannot be used together");
        }
        var place = ParsePlace(s);

        string? extra = null;
        IReadOnlyList<NpgsqlParameter> extraParams = [];
        if (!string.IsNullOrWhiteSpace(s.Filter))
        {
            Cql2Node node;
            try
            {
                node = Cql2Parser.Parse(s.Filter);
            }
            catch (Cql2Exception e)
            {
                throw ApiException.BadRequest($"Invalid filter: {e.Message}", new { input = s.Filter });
            }
            var holder = new FilterParameters();
            extra = holder.Translate(new Cql2Sql(Queryables.Items, Queryables.ItemSemanticsColumns), node);
            extraParams = holder.Detach();
        }

        var (order, point) = ParseOrder(s.SortBy, bbox, place);
        if (live is not null)
        {
            LiveFederatedSearch.Throttle(http);
        }
        // Peers are asked while we read our own database.
        var fanOut = live?.AskAsync(new LiveSearchQuery(bbox is null ? null : [bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY], ids,
            datetime?.Start, datetime?.End, limit), ct);
        List<ItemRow> rows;
        try
        {
            rows = await ReadAsync();
        }
        catch (PostgresException e) when (intersects is not null && (e.SqlState == PostgresErrorCodes.InternalError || e.SqlState.StartsWith("22", StringComparison.Ordinal)))
        {
            // PostGIS is the judge of geometry validity (unclosed rings, too few points…).
            throw ApiException.BadRequest($"intersects is not a valid geometry: {e.MessageText}", new { input = intersects });
        }

        Task<List<ItemRow>> ReadAsync() => ItemQuery.ReadAsync(db, current.Viewer, new ItemFilter
        {
            Ids = ids,
            SequenceIds = collections,
            Bbox = bbox is null ? null : (bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY),
            IntersectsGeoJson = intersects,
            CapturedFrom = datetime?.Start,
            CapturedTo = datetime?.End,
            Place = place,
            ExtraPredicate = extra,
            ExtraParameters = extraParams,
            // Clients open a picture through its item route, which has prev/next; search answers stay light.
            WithNeighbours = false,
        }, order, limit, point, ct);

        var license = options.Value.Instance.LicenseId;
        JsonArray rootLinks = [StacCollectionJson.Link("root", links.Api("/api"), ApiJson.Json)];
        if (fanOut is null)
        {
            return StacItemJson.FeatureCollection(rows, links, license, rootLinks);
        }
        var (fromPeers, federation) = LiveFederatedSearch.Merge(rows, await fanOut, limit);
        return StacItemJson.FeatureCollection(rows, links, license, rootLinks, fromPeers, federation);
    }

    internal static (ItemOrder, (double, double)?) ParseOrder(string? sortBy, Bbox? bbox, PlaceFilter? place)
    {
        if (!string.IsNullOrWhiteSpace(sortBy))
        {
            var first = sortBy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)[0];
            var desc = first.StartsWith('-');
            return (first.TrimStart('+', '-', ' ') switch
            {
                "ts" or "datetime" => desc ? ItemOrder.CapturedDesc : ItemOrder.CapturedAsc,
                "updated" => desc ? ItemOrder.UpdatedDesc : ItemOrder.UpdatedAsc,
                "id" => desc ? ItemOrder.IdDesc : ItemOrder.IdAsc,
                var f => throw ApiException.BadRequest($"Cannot sort by '{f}': sortby accepts ts, updated or id with an optional + or - prefix", new { input = sortBy }),
            }, null);
        }
        if (place is not null)
        {
            return (ItemOrder.Distance, (place.Lon, place.Lat));
        }
        if (bbox is not null)
        {
            return (ItemOrder.Distance, (bbox.CenterX, bbox.CenterY));
        }
        return (ItemOrder.UpdatedDesc, null);
    }

    private static PlaceFilter? ParsePlace(SearchRequest s)
    {
        if (string.IsNullOrWhiteSpace(s.PlacePosition))
        {
            if (!string.IsNullOrWhiteSpace(s.PlaceDistance) || !string.IsNullOrWhiteSpace(s.PlaceFovTolerance))
            {
                throw ApiException.BadRequest("place_distance and place_fov_tolerance need place_position (lon,lat)");
            }
            return null;
        }
        var pos = s.PlacePosition.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries);
        if (pos.Length != 2
            || !double.TryParse(pos[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
            || !double.TryParse(pos[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
            || lon is < -180 or > 180 || lat is < -90 or > 90)
        {
            throw ApiException.BadRequest("place_position must be lon,lat in WGS84 degrees", new { input = s.PlacePosition });
        }
        double min = 3, max = 15;
        if (!string.IsNullOrWhiteSpace(s.PlaceDistance))
        {
            var d = s.PlaceDistance.Split('-', StringSplitOptions.TrimEntries);
            if (d.Length != 2
                || !double.TryParse(d[0], NumberStyles.Float, CultureInfo.InvariantCulture, out min)
                || !double.TryParse(d[1], NumberStyles.Float, CultureInfo.InvariantCulture, out max)
                || min < 0 || max > 1000 || min > max)
            {
                throw ApiException.BadRequest("place_distance must be min-max in metres (0 ≤ min ≤ max ≤ 1000), e.g. 3-15", new { input = s.PlaceDistance });
            }
        }
        double fov = 30;
        if (!string.IsNullOrWhiteSpace(s.PlaceFovTolerance)
            && (!double.TryParse(s.PlaceFovTolerance, NumberStyles.Float, CultureInfo.InvariantCulture, out fov) || fov < 2 || fov > 180))
        {
            throw ApiException.BadRequest("place_fov_tolerance must be a number of degrees between 2 and 180", new { input = s.PlaceFovTolerance });
        }
        return new PlaceFilter(lon, lat, min, max, fov);
    }

    /// <summary>Checks that intersects is a GeoJSON geometry PostGIS can read (and not something to inject).</summary>
    private static string? ValidateGeometry(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type is not ("Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon")
                || !root.TryGetProperty("coordinates", out var c) || c.ValueKind != JsonValueKind.Array)
            {
                throw ApiException.BadRequest("intersects must be a GeoJSON geometry (Point, LineString, Polygon or their Multi- forms) with coordinates", new { input = text });
            }
            var problem = type switch
            {
                "Point" => Position(c),
                "MultiPoint" => Each(c, Position),
                "LineString" => Line(c),
                "MultiLineString" => Each(c, Line),
                "Polygon" => Polygon(c),
                _ => Each(c, Polygon),
            };
            if (problem is not null)
            {
                throw ApiException.BadRequest($"intersects is not a valid {type}: {problem}", new { input = text });
            }
            return root.GetRawText();
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("intersects is not valid GeoJSON", new { error = e.Message });
        }
    }

    // GeoJSON shape checks (RFC 7946 §3.1): each returns what is wrong, or null.
    private static string? Position(JsonElement p) =>
        p.ValueKind == JsonValueKind.Array && p.GetArrayLength() is 2 or 3 && p.EnumerateArray().All(n => n.ValueKind == JsonValueKind.Number)
            ? null : "a position must be [longitude, latitude]";

    private static string? Each(JsonElement a, Func<JsonElement, string?> check) =>
        a.ValueKind != JsonValueKind.Array ? "coordinates must be arrays" : a.EnumerateArray().Select(check).FirstOrDefault(p => p is not null);

    private static string? Line(JsonElement l) =>
        l.ValueKind == JsonValueKind.Array && l.GetArrayLength() < 2 ? "a line needs at least 2 positions" : Each(l, Position);

    private static string? Polygon(JsonElement rings) => Each(rings, ring =>
        ring.ValueKind != JsonValueKind.Array || ring.GetArrayLength() < 4 ? "a polygon ring needs at least 4 positions"
        : Each(ring, Position) ?? (ring[0].GetRawText().Replace(" ", "", StringComparison.Ordinal) != ring[ring.GetArrayLength() - 1].GetRawText().Replace(" ", "", StringComparison.Ordinal)
            ? "a polygon ring must end where it starts" : null));

    private static string? Scalar(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw ApiException.BadRequest($"{name} must be a string or a number", new { input = v.GetRawText() }),
        } : null;

    private static string? ListOrScalar(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? string.Join(',', v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number ? e.GetRawText() : throw ApiException.BadRequest($"{name} must contain numbers")))
            : Scalar(body, name);

    private static IEnumerable<string?>? List(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : throw ApiException.BadRequest($"{name} must be a list of ids"))
        : [Scalar(body, name)];

    /// <summary>intersects may be a GeoJSON object or, as GeoVisio 2.11 accepts, a JSON-encoded string.</summary>
    private static string? Geometry(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Object ? v.GetRawText()
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw ApiException.BadRequest("intersects must be a GeoJSON geometry");

    /// <summary>sortby as a string ("-ts") or STAC's list of {field, direction}.</summary>
    private static string? SortBy(JsonElement body)
    {
        if (!body.TryGetProperty("sortby", out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind == JsonValueKind.Array)
        {
            return string.Join(',', v.EnumerateArray().Select(e =>
                e.ValueKind == JsonValueKind.Object && e.TryGetProperty("field", out var f)
                    ? (e.TryGetProperty("direction", out var d) && d.GetString() == "desc" ? "-" : "+") + f.GetString()
                    : e.GetString()));
        }
        return Scalar(body, "sortby");
    }
}
