using System.ComponentModel.DataAnnotations;
using Panoramax.Auth;

namespace Panoramax.Server.Hosting;

/// <summary>Root of the <c>Panoramax</c> configuration section (appsettings.json or <c>Panoramax__…</c> environment variables).</summary>
public sealed class PanoramaxOptions : IValidatableObject
{
    public const string Section = "Panoramax";

    public InstanceRole Role { get; set; } = InstanceRole.Instance;
    /// <summary>Folder for the embedded database, files and keys; relative paths are resolved from the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = "var";
    /// <summary>Public base URL (e.g. https://panoramax.example.org) used for absolute links; by default taken from each request.</summary>
    public Uri? PublicUrl { get; set; }
    /// <summary>
    /// Addresses or networks (CIDR) of the reverse proxies whose <c>X-Forwarded-*</c> headers are believed (client
    /// address for the per-client budgets, scheme, host and prefix for links); <c>*</c> believes anyone. The default is
    /// this machine and private networks (a proxy beside the instance or in its Docker network): a client reaching the
    /// instance from the internet cannot choose its address or the links' host by sending the headers itself.
    /// Null: <see cref="DefaultTrustedProxies"/> (an array, so configured values replace the defaults instead of adding to them).
    /// </summary>
    public string[]? TrustedProxies { get; set; }

    public static readonly string[] DefaultTrustedProxies = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];
    /// <summary>Reports (<c>POST /api/reports</c>, open to anonymous visitors) one client (IP address) may send per hour.</summary>
    [Range(1, 1_000_000)]
    public int ReportsPerClientPerHour { get; set; } = 30;
    public InstanceInfoOptions Instance { get; set; } = new();
    public DatabaseOptions Database { get; set; } = new();
    public AdminOptions Admin { get; set; } = new();
    /// <summary>The same section as <see cref="AuthOptions.Section"/>, bound here too so one options object describes the instance.</summary>
    public AuthOptions Auth { get; set; } = new();
    public SequenceDefaultsOptions Defaults { get; set; } = new();

    public string DataPath(string child) => Path.Combine(Path.GetFullPath(DataDirectory), child);

    /// <summary>A trusted-proxy entry as a network (a lone address is a /32 or /128), or null when it is neither.</summary>
    public static System.Net.IPNetwork? ProxyNetwork(string entry)
    {
        var text = entry.Trim();
        var network = text.Contains('/', StringComparison.Ordinal) ? text : text + (text.Contains(':', StringComparison.Ordinal) ? "/128" : "/32");
        return System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed : null;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        (TrustedProxies ?? []).Where(t => t.Trim() != "*" && ProxyNetwork(t) is null).Select(t => new ValidationResult(
            $"Panoramax:TrustedProxies: '{t}' is not an IP address or a CIDR network (e.g. 10.0.0.0/8), nor '*'", [nameof(TrustedProxies)]));
}

public enum InstanceRole
{
    /// <summary>API, pages, OIDC, blurring, jobs and federation.</summary>
    Instance,
    /// <summary>Only background jobs (processing, dispatch); HTTP serves nothing but /api/health.</summary>
    Worker,
    /// <summary>API and pages without background jobs (another process runs them with role worker).</summary>
    Api,
    /// <summary>Meta-catalogue of the whole network: no uploads.</summary>
    Aggregator,
}

/// <summary>What /api/configuration and the landing page say about this instance.</summary>
public sealed class InstanceInfoOptions
{
    [Required]
    public string Name { get; set; } = "Panoramax";
    public string Description { get; set; } = "A Panoramax instance: free and open street-level pictures";
    public string GeoCoverage { get; set; } = "Worldwide";
    public Uri? Logo { get; set; }
    [RegularExpression("^#[0-9a-fA-F]{6}$")]
    public string Color { get; set; } = "#5e499a";
    [EmailAddress]
    public string? Email { get; set; }
    /// <summary>SPDX id of the licence pictures are published under.</summary>
    [Required]
    public string LicenseId { get; set; } = "CC-BY-SA-4.0";
    public Uri? LicenseUrl { get; set; } = new("https://spdx.org/licenses/CC-BY-SA-4.0.html");
}

public sealed class DatabaseOptions
{
    /// <summary>Folder of the embedded cluster, below <see cref="PanoramaxOptions.DataDirectory"/> unless absolute.</summary>
    public string EmbeddedDirectory { get; set; } = "pg";
    [Required]
    public string EmbeddedDatabaseName { get; set; } = "panoramax";
    /// <summary>
    /// Most connections the public read routes (search, items, collections, users, tiles, picture files) hold at once, in a pool
    /// of their own apart from the one uploads, jobs and federation share.
    /// </summary>
    [Range(1, 1000)]
    public int ReadPoolSize { get; set; } = 20;
}

public sealed class AdminOptions
{
    [Required]
    public string Name { get; set; } = "admin";
    /// <summary>Password of the first-start admin; when empty a random one is generated and printed once.</summary>
    public string? InitialPassword { get; set; }
}

/// <summary>Instance defaults for sequence dispatch (GeoVisio 2.10+ values).</summary>
public sealed class SequenceDefaultsOptions
{
    [Range(0, 100_000)]
    public int SplitDistanceM { get; set; } = 100;
    [Range(0, 86_400)]
    public double SplitTimeSeconds { get; set; } = 300;
    [Range(0, 100)]
    public double DuplicateDistanceM { get; set; } = 1;
    [Range(0, 360)]
    public int DuplicateRotationDeg { get; set; } = 60;
    public bool? CollaborativeMetadata { get; set; }
    public string DefaultVisibility { get; set; } = "anyone";
}
