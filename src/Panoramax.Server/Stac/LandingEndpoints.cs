using System.Reflection;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>The STAC landing page (a Catalog) and the conformance declaration.</summary>
public static class LandingEndpoints
{
    public static RouteGroupBuilder MapLanding(this RouteGroupBuilder api)
    {
        ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<ConformanceRegistry>().Add(ConformanceRegistry.StacCore);
        api.MapGet("/", GetLandingAsync).WithName("Landing").WithSummary("STAC landing page (Catalog) of the instance");
        api.MapGet("/conformance", GetConformance).WithName("Conformance").WithSummary("OGC/STAC conformance classes implemented");
        return api;
    }

    internal static async Task<IResult> GetLandingAsync(
        LinkBuilder links, IOptions<PanoramaxOptions> options, ConformanceRegistry conformance, CatalogExtentCache extents, CancellationToken ct)
    {
        var info = options.Value.Instance;
        var extent = await extents.GetAsync(ct);
        var json = ApiJson.Json;
        var l = new List<Link>
        {
            new("self", links.Api("/api"), json),
            new("root", links.Api("/api"), json),
            new("service-desc", links.Api("/api/docs/specs.json"), "application/vnd.oai.openapi+json;version=3.1"),
            new("service-doc", links.Api("/api/docs/swagger"), "text/html"),
            new("conformance", links.Api("/api/conformance"), json),
            new("data", links.Api("/api/collections"), json),
            new("data", links.Api("/api/collections?format=rss"), "application/rss+xml"),
            new("child", links.Api("/api/users"), json, "Users"),
            new("users", links.Api("/api/users"), json),
            new("search", links.Api("/api/search"), ApiJson.GeoJson),
            new("http://www.opengis.net/def/rel/ogc/1.0/queryables", links.Api("/api/queryables"), "application/schema+json"),
            new("xyz", links.Api("/api/map/{z}/{x}/{y}.mvt"), "application/vnd.mapbox-vector-tile"),
            new("xyz-style", links.Api("/api/map/style.json"), json),
            new("user-xyz", links.Api("/api/users/{userId}/map/{z}/{x}/{y}.mvt"), "application/vnd.mapbox-vector-tile"),
            new("user-xyz-style", links.Api("/api/users/{userId}/map/style.json"), json),
            new("collection-preview", links.Api("/api/collections/{id}/thumb.jpg"), "image/jpeg"),
            new("item-preview", links.Api("/api/pictures/{id}/thumb.jpg"), "image/jpeg"),
            new("user-search", links.Api("/api/users/search"), json),
            new("report", links.Api("/api/reports"), json),
        };
        if (info.LicenseUrl is { } licenseUrl)
        {
            l.Add(new Link("license", licenseUrl.ToString(), "text/html", info.LicenseId));
        }

        var landing = new LandingPage
        {
            Id = "geovisio",
            Title = info.Name,
            Description = info.Description,
            ConformsTo = conformance.All,
            Extent = extent is null ? null : new CatalogExtentJson(
                new SpatialExtent([[extent.MinX, extent.MinY, extent.MaxX, extent.MaxY]]),
                new TemporalExtent([[extent.Start is { } s ? StacTime.Utc(s) : null, extent.End is { } e ? StacTime.Utc(e) : null]])),
            GeovisioVersion = Version,
            Contacts = info.Email is null ? null : [new Contact(info.Name, [new ContactEmail(info.Email)])],
            Links = l,
        };
        return Results.Json(landing, ApiJson.Options, ApiJson.Json);
    }

    internal static IResult GetConformance(ConformanceRegistry conformance) =>
        Results.Json(new { conformsTo = conformance.All }, ApiJson.Options);

    /// <summary>Product version, reported as <c>geovisio_version</c> (clients only log it).</summary>
    public static string Version { get; } =
        typeof(LandingEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}

public sealed class LandingPage
{
    [JsonPropertyName("stac_version")] public string StacVersion { get; init; } = "1.0.0";
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("type")] public string Type { get; init; } = "Catalog";
    [JsonPropertyName("title")] public required string Title { get; init; }
    [JsonPropertyName("description")] public required string Description { get; init; }
    [JsonPropertyName("conformsTo")] public required IReadOnlyList<string> ConformsTo { get; init; }
    [JsonPropertyName("extent")] public CatalogExtentJson? Extent { get; init; }
    [JsonPropertyName("geovisio_version")] public required string GeovisioVersion { get; init; }
    [JsonPropertyName("contacts")] public IReadOnlyList<Contact>? Contacts { get; init; }
    [JsonPropertyName("links")] public required IReadOnlyList<Link> Links { get; init; }
}

public sealed record CatalogExtentJson(
    [property: JsonPropertyName("spatial")] SpatialExtent Spatial,
    [property: JsonPropertyName("temporal")] TemporalExtent Temporal);

public sealed record SpatialExtent([property: JsonPropertyName("bbox")] double[][] Bbox);

public sealed record TemporalExtent([property: JsonPropertyName("interval")] string?[][] Interval);

public sealed record Contact(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("emails")] IReadOnlyList<ContactEmail> Emails);

public sealed record ContactEmail([property: JsonPropertyName("value")] string Value);
