namespace Panoramax.Domain.Visibility;

/// <summary>Who may see a sequence, picture or upload set (GeoVisio's vocabulary).</summary>
public enum Visibility
{
    /// <summary>Public: the only value that ever leaves the instance (API for anonymous callers, federation).</summary>
    Anyone,
    /// <summary>Any authenticated account of this instance.</summary>
    LoggedOnly,
    /// <summary>The owner and admins only.</summary>
    OwnerOnly,
}
