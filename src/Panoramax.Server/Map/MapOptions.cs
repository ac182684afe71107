namespace Panoramax.Server.Map;

/// <summary>The <c>Panoramax:Map</c> section: vector tiles and the low-zoom grid.</summary>
public sealed class MapOptions
{
    public const string Section = "Panoramax:Map";

    /// <summary>
    /// How often the low-zoom grid recounts the cells noted as changed, besides the refreshes asked for after edits,
    /// publications and federation applies (those of another server process, e.g. a separate worker, wait for this).
    /// </summary>
    public TimeSpan GridRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long browsers and proxies may reuse a tile without asking (then they revalidate with its ETag).</summary>
    public TimeSpan TileMaxAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Memory for recently built public tiles (kept for <see cref="TileMaxAge"/>); 64 MiB by default.</summary>
    public long TileCacheBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>The <c>Panoramax:Viewer</c> section: the web viewer served at <c>/</c>.</summary>
public sealed class ViewerOptions
{
    public const string Section = "Panoramax:Viewer";

    /// <summary>
    /// A MapLibre style URL for the base map (a deployment with its own vector or raster base map); by default the
    /// instance's own neutral raster style, which needs no third-party server.
    /// </summary>
    public Uri? BaseMapStyle { get; set; }
}
