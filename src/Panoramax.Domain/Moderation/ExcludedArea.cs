using NetTopologySuite.Geometries;

namespace Panoramax.Domain.Moderation;

/// <summary>
/// A polygon where uploads are refused: instance-wide when <see cref="AccountId"/> is null (set by admins, e.g. a
/// military site), or one contributor's own (their home, so they never publish it by mistake).
/// </summary>
public sealed class ExcludedArea
{
    public Guid Id { get; set; }
    /// <summary>The contributor the area protects; null for an instance-wide area.</summary>
    public Guid? AccountId { get; set; }
    public string? Label { get; set; }
    /// <summary>Whether anyone may list it (an instance-wide area may itself be sensitive).</summary>
    public bool IsPublic { get; set; }
    /// <summary>Polygon or MultiPolygon in WGS 84.</summary>
    public required Geometry Geometry { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
