using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Panoramax.Server.Hosting;

namespace Panoramax.Server.Http;

/// <summary>A STAC/OGC link. Extra members (id, geometry…) are only used by item navigation links.</summary>
public sealed record Link(
    [property: JsonPropertyName("rel")] string Rel,
    [property: JsonPropertyName("href")] string Href,
    [property: JsonPropertyName("type")] string? Type = null,
    [property: JsonPropertyName("title")] string? Title = null)
{
    [JsonExtensionData]
    public Dictionary<string, object?>? Extra { get; init; }
}

/// <summary>
/// Builds absolute hrefs (clients such as the viewer refuse relative ones) from the configured public URL
/// or from the request, which honours X-Forwarded-Proto/Host/Prefix through the forwarded-headers middleware.
/// </summary>
public sealed class LinkBuilder(IHttpContextAccessor http, IOptions<PanoramaxOptions> options)
{
    // Scoped: one request, one base. Item lists ask for it a dozen times per picture.
    private string? _base;
    private byte[]? _baseUtf8;

    public string Base => _base ??= Compute();

    /// <summary><see cref="Base"/> as UTF-8, for writers that build hrefs without intermediate strings.</summary>
    public ReadOnlySpan<byte> BaseUtf8 => _baseUtf8 ??= System.Text.Encoding.UTF8.GetBytes(Base);

    private string Compute()
    {
        if (options.Value.PublicUrl is { } configured)
        {
            return configured.ToString().TrimEnd('/');
        }
        var request = http.HttpContext?.Request ?? throw new InvalidOperationException("Links need a request or Panoramax:PublicUrl.");
        return $"{request.Scheme}://{request.Host}{request.PathBase}".TrimEnd('/');
    }

    /// <summary>Links outside any request (the federation sealer), on a known base URL.</summary>
    public static LinkBuilder ForBase(string baseUrl) =>
        new(new HttpContextAccessor(), Options.Create(new PanoramaxOptions { PublicUrl = new Uri(baseUrl) }));

    /// <summary>Absolute URL of an API path such as <c>/api/collections</c>; placeholders like {z} stay literal.</summary>
    public string Api(string path) => Base + path;
}
