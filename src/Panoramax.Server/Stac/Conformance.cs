namespace Panoramax.Server.Stac;

/// <summary>
/// Conformance classes, registered by the features that implement them when their routes are mapped,
/// so /api/conformance (and the landing's conformsTo) cannot claim what the server does not do.
/// </summary>
public sealed class ConformanceRegistry
{
    public const string StacCore = "https://api.stacspec.org/v1.0.0/core";
    public const string StacBrowseable = "https://api.stacspec.org/v1.0.0/browseable";
    public const string StacCollections = "https://api.stacspec.org/v1.0.0/collections";
    public const string StacOgcFeatures = "https://api.stacspec.org/v1.0.0/ogcapi-features";
    public const string StacItemSearch = "https://api.stacspec.org/v1.0.0/item-search";
    public const string StacCollectionSearch = "https://api.stacspec.org/v1.0.0/collection-search";
    public const string OgcFeaturesCore = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core";
    public const string OgcFeaturesGeoJson = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson";
    public const string OgcCommonSimpleQuery = "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/simple-query";

    private readonly SortedSet<string> _classes = new(StringComparer.Ordinal);

    public void Add(params string[] classes)
    {
        lock (_classes)
        {
            _classes.UnionWith(classes);
        }
    }

    public IReadOnlyList<string> All
    {
        get
        {
            lock (_classes)
            {
                return [.. _classes];
            }
        }
    }
}
