using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Panoramax.FederationTests;

/// <summary>A picture of a fake legacy collection.</summary>
public sealed record LegacyPicture(Guid Id, double Lon, double Lat, DateTimeOffset CapturedAt);

/// <summary>A collection of a fake legacy GeoVisio instance, as its API shows it; <see cref="Account"/> overrides the instance's uploader.</summary>
public sealed record LegacyCollection(Guid Id, string Title, DateTimeOffset Updated, IReadOnlyList<LegacyPicture> Pictures, Guid? Account = null)
{
    public static LegacyCollection Walk(string title, double lon, double lat, DateTimeOffset updated, int count) =>
        new(Guid.NewGuid(), title, updated,
            [.. Enumerable.Range(0, count).Select(i => new LegacyPicture(Guid.NewGuid(), lon + i * 0.0001, lat, updated.AddDays(-1).AddSeconds(i * 2)))]);
}

/// <summary>
/// One legacy GeoVisio 2.x instance under a path prefix of a WireMock server (a third party: the only fake allowed),
/// answering the meta-catalogue's queries with documents shaped as the API doc describes (§2, §3, §12): collection
/// pages with <c>rel=next</c> links, deleted collections as <c>{"id","geovisio:status":"deleted"}</c> stubs, item pages
/// with <c>rel=next</c> links. Each route's mapping has a fixed id, so serving a new state replaces the previous one.
/// </summary>
public sealed class LegacyGeoVisio(WireMockServer server, string prefix)
{
    /// <summary>The account that uploaded everything there (account ids are global: one per instance).</summary>
    public Guid Account { get; } = new(SHA256.HashData(Encoding.UTF8.GetBytes($"account of {prefix}")).AsSpan(0, 16));

    /// <summary>Root URL of the instance (what Panoramax:Aggregator:Sources:n:Url is set to).</summary>
    public string Url { get; } = $"{server.Url}/{prefix}";

    /// <summary>Serves the collections list: each inner list is one page (linked by <c>rel=next</c>); deleted ones as stubs.</summary>
    public void ServeCollections(IReadOnlyList<IReadOnlyList<LegacyCollection>> pages, IReadOnlySet<Guid>? deleted = null)
    {
        for (var i = 0; i < pages.Count; i++)
        {
            var doc = new JsonObject
            {
                ["collections"] = new JsonArray([.. pages[i].Select(c => deleted?.Contains(c.Id) == true
                    ? new JsonObject { ["id"] = c.Id.ToString(), ["geovisio:status"] = "deleted" }
                    : Collection(c))]),
                ["links"] = Links(i + 1 < pages.Count ? $"{Url}/api/collections?limit=100&page=p{i + 1}" : null),
            };
            Serve($"collections-page-{i}", "/api/collections", doc.ToJsonString(), HttpStatusCode.OK, i == 0 ? null : $"p{i}");
        }
        foreach (var c in pages.SelectMany(p => p))
        {
            ServeItems(c, deleted?.Contains(c.Id) == true);
        }
    }

    /// <summary>Serves a fixed answer for the collections list (an error, garbage).</summary>
    public void ServeCollectionsAnswer(HttpStatusCode status, string body) => Serve("collections-page-0", "/api/collections", body, status, null);

    /// <summary>Serves a fixed answer for one page (0, 1…) of a collection's items (an error, garbage, a hand-made page).</summary>
    public void ServeItemsAnswer(Guid collection, HttpStatusCode status, string body, int page = 0)
    {
        Serve($"items-{collection}-{page}", $"/api/collections/{collection}/items", body, status,
            page == 0 ? null : (page * 2).ToString(CultureInfo.InvariantCulture), "startAfterRank");
    }

    /// <summary>The items of <paramref name="c"/> in pages of two (<c>rel=next</c> with <c>startAfterRank</c>).</summary>
    private void ServeItems(LegacyCollection c, bool gone)
    {
        if (gone)
        {
            Serve($"items-{c.Id}-0", $"/api/collections/{c.Id}/items", """{"message":"Collection doesn't exist","status_code":404}""", HttpStatusCode.NotFound, null);
            return;
        }
        var pages = c.Pictures.Select((p, i) => (p, i)).Chunk(2).ToList();
        for (var page = 0; page < Math.Max(1, pages.Count); page++)
        {
            var chunk = page < pages.Count ? pages[page] : [];
            var lastRank = (page + 1) * 2;
            var doc = new JsonObject
            {
                ["type"] = "FeatureCollection",
                ["features"] = new JsonArray([.. chunk.Select(x => Item(c, x.p, x.i + 1))]),
                ["links"] = Links(page + 1 < pages.Count ? $"{Url}/api/collections/{c.Id}/items?limit=2&startAfterRank={lastRank}" : null),
            };
            Serve($"items-{c.Id}-{page}", $"/api/collections/{c.Id}/items", doc.ToJsonString(), HttpStatusCode.OK,
                page == 0 ? null : (page * 2).ToString(CultureInfo.InvariantCulture), "startAfterRank");
        }
    }

    private JsonObject Collection(LegacyCollection c) => new()
    {
        ["type"] = "Collection",
        ["stac_version"] = "1.0.0",
        ["id"] = c.Id.ToString(),
        ["title"] = c.Title,
        ["description"] = "A sequence of geolocated pictures",
        ["keywords"] = new JsonArray("pictures", c.Title),
        ["license"] = "etalab-2.0",
        ["created"] = Iso(c.Updated.AddDays(-1)),
        ["updated"] = Iso(c.Updated),
        ["providers"] = Providers(c),
        ["extent"] = new JsonObject
        {
            ["spatial"] = new JsonObject { ["bbox"] = new JsonArray(new JsonArray(c.Pictures.Min(p => p.Lon), c.Pictures.Min(p => p.Lat), c.Pictures.Max(p => p.Lon), c.Pictures.Max(p => p.Lat))) },
            ["temporal"] = new JsonObject { ["interval"] = new JsonArray(new JsonArray(Iso(c.Pictures[0].CapturedAt), Iso(c.Pictures[^1].CapturedAt))) },
        },
        ["stats:items"] = new JsonObject { ["count"] = c.Pictures.Count },
        ["links"] = new JsonArray(
            Link("items", $"{Url}/api/collections/{c.Id}/items", "application/geo+json"),
            Link("self", $"{Url}/api/collections/{c.Id}", "application/json"),
            Link("parent", $"{Url}/api", "application/json")),
    };

    private JsonObject Item(LegacyCollection c, LegacyPicture p, int rank)
    {
        var files = $"{Url}/api/pictures/{p.Id}";
        return new JsonObject
        {
            ["type"] = "Feature",
            ["stac_version"] = "1.0.0",
            ["id"] = p.Id.ToString(),
            ["collection"] = c.Id.ToString(),
            ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(p.Lon, p.Lat) },
            ["bbox"] = new JsonArray(p.Lon, p.Lat, p.Lon, p.Lat),
            ["providers"] = Providers(c),
            ["properties"] = new JsonObject
            {
                ["datetime"] = Iso(p.CapturedAt),
                ["datetimetz"] = p.CapturedAt.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
                ["created"] = Iso(c.Updated.AddDays(-1)),
                ["updated"] = Iso(c.Updated.AddDays(-1)),
                ["license"] = "etalab-2.0",
                ["view:azimuth"] = 90,
                ["pers:interior_orientation"] = new JsonObject
                {
                    ["camera_manufacturer"] = "GoPro",
                    ["camera_model"] = "HERO9",
                    ["focal_length"] = 3,
                    ["field_of_view"] = 118,
                    ["sensor_array_dimensions"] = new JsonArray(5184, 3888),
                },
                ["geovisio:status"] = "ready",
                ["geovisio:producer"] = "legacy-walker",
                ["geovisio:rank_in_collection"] = rank,
                ["geovisio:image"] = $"{files}/hd.jpg",
                ["geovisio:thumbnail"] = $"{files}/thumb.jpg",
                ["original_file:name"] = $"GOPR{rank:0000}.JPG",
                ["original_file:size"] = 4_200_000,
                ["exif"] = new JsonObject { ["Exif.Image.Make"] = "GoPro" },
            },
            ["assets"] = new JsonObject
            {
                ["hd"] = Asset($"{files}/hd.jpg", "data"),
                ["sd"] = Asset($"{files}/sd.jpg", "visual"),
                ["thumb"] = Asset($"{files}/thumb.jpg", "thumbnail"),
            },
            ["links"] = new JsonArray(Link("self", $"{Url}/api/collections/{c.Id}/items/{p.Id}", "application/geo+json")),
        };
    }

    private JsonArray Providers(LegacyCollection c) =>
        new(new JsonObject { ["name"] = "legacy-walker", ["roles"] = new JsonArray("producer"), ["id"] = (c.Account ?? Account).ToString() });

    private static JsonObject Asset(string href, string role) => new() { ["href"] = href, ["type"] = "image/jpeg", ["roles"] = new JsonArray(role) };

    private static JsonObject Link(string rel, string href, string type) => new() { ["rel"] = rel, ["href"] = href, ["type"] = type };

    private JsonArray Links(string? next)
    {
        var links = new JsonArray(Link("root", $"{Url}/api", "application/json"));
        if (next is not null)
        {
            links.Add(Link("next", next, "application/json"));
        }
        return links;
    }

    private static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);

    /// <summary>One route of this instance; <paramref name="param"/>'s value (when given) must be in the query, which wins over the bare route.</summary>
    private void Serve(string key, string path, string body, HttpStatusCode status, string? paramValue, string param = "page")
    {
        var request = Request.Create().WithPath($"/{prefix}{path}").UsingGet();
        if (paramValue is not null)
        {
            request = request.WithParam(param, paramValue);
        }
        server.Given(request)
            .WithGuid(MappingId(key))
            .AtPriority(paramValue is null ? 10 : 1)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
    }

    private Guid MappingId(string key) => new(SHA256.HashData(Encoding.UTF8.GetBytes($"{prefix}/{key}")).AsSpan(0, 16));
}
