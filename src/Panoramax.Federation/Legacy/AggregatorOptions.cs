using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;

namespace Panoramax.Federation.Legacy;

/// <summary>
/// <c>Panoramax:Aggregator</c>: legacy GeoVisio instances harvested over HTTP. Used by the aggregator role, and by any
/// other role that wants a legacy instance's pictures in its search, items and tiles.
/// </summary>
public sealed class AggregatorOptions
{
    public const string Section = "Panoramax:Aggregator";

    /// <summary>The legacy instances to harvest (<c>Panoramax__Aggregator__Sources__0__Url=https://…</c>).</summary>
    public List<LegacySourceOptions> Sources { get; set; } = [];
    /// <summary><c>limit</c> of each collections page asked from a source.</summary>
    [Range(1, 1000)]
    public int CollectionsPageSize { get; set; } = 100;
    /// <summary><c>limit</c> of each items page asked from a source.</summary>
    [Range(1, 10_000)]
    public int ItemsPageSize { get; set; } = 1000;
    /// <summary>
    /// The largest answer read from a source, in bytes (a page is parsed whole, so this bounds the memory a broken or
    /// hostile source can take). A GeoVisio items page of 1,000 pictures is a few MB.
    /// </summary>
    [Range(1024, int.MaxValue)]
    public int MaxAnswerBytes { get; set; } = 64 * 1024 * 1024;
    /// <summary>
    /// Most pages read in one run: collection-list pages per run, item pages per collection. A source that keeps linking
    /// to new pages cannot hold the harvest (or the ids it remembers) without bound; the next run resumes from the cursor.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxPages { get; set; } = 10_000;
    /// <summary>Deadline of one HTTP request to a source (each retry gets its own).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>First retry delay after a failed request (exponential backoff with jitter, three retries).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>One legacy GeoVisio instance.</summary>
public sealed class LegacySourceOptions
{
    /// <summary>Root URL of the instance (its API is <c>{Url}/api</c>; a trailing <c>/api</c> is accepted too).</summary>
    [Required]
    public string Url { get; set; } = "";
    /// <summary>Name shown as the origin of its pictures; the URL's host when empty.</summary>
    public string? Name { get; set; }
    /// <summary>Time between two harvests.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The URL without a trailing slash or <c>/api</c>: the one spelling stored and hashed into the id.</summary>
    public string NormalizedUrl => Normalize(Url);

    public string DisplayName => string.IsNullOrWhiteSpace(Name) ? new Uri(NormalizedUrl).Host : Name.Trim();

    /// <summary>Id of the synthetic origin instance: derived from the URL, so the same source keeps its rows across restarts.</summary>
    public Guid InstanceId => IdOf(NormalizedUrl);

    public static bool IsValidUrl(string url) =>
        WebText.TryHttpUrl(Normalize(url), out _);

    public static string Normalize(string url)
    {
        var u = url.Trim().TrimEnd('/');
        return u.EndsWith("/api", StringComparison.OrdinalIgnoreCase) ? u[..^4] : u;
    }

    public static Guid IdOf(string normalizedUrl)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("panoramax-legacy-source:" + normalizedUrl));
        // RFC 9562 version 8 (custom), variant 10.
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
