using NetTopologySuite.Geometries;
using Panoramax.Domain.Pictures;

namespace Panoramax.Domain.Sequences;

/// <summary>
/// A sequence of pictures (a STAC Collection in the API). Aggregates (extent, counts, line geometry)
/// are denormalised here and recomputed when its pictures change, because search, tiles and lists read them constantly.
/// </summary>
public sealed class Sequence
{
    public Guid Id { get; set; }
    public Guid OriginInstanceId { get; set; }
    public Guid AccountId { get; set; }
    public Guid? UploadSetId { get; set; }
    public required string Title { get; set; }
    public SequenceStatus Status { get; set; } = SequenceStatus.WaitingForProcess;
    public Visibility.Visibility Visibility { get; set; } = Domain.Visibility.Visibility.Anyone;
    /// <summary>SPDX licence id.</summary>
    public string? License { get; set; }
    /// <summary>GeoVisio sort key, e.g. <c>+gpsdate</c>.</summary>
    public string SortedBy { get; set; } = "+gpsdate";
    public string UploadSoftware { get; set; } = "unknown";
    public string? UserAgent { get; set; }
    /// <summary>Tags as a JSON array of <c>{key, value}</c> objects.</summary>
    public string Semantics { get; set; } = "[]";

    // Aggregates maintained from the ready pictures of the sequence.
    public LineString? Geometry { get; set; }
    public Polygon? Bbox { get; set; }
    public DateTimeOffset? MinCapturedAt { get; set; }
    public DateTimeOffset? MaxCapturedAt { get; set; }
    public int PictureCount { get; set; }
    public double LengthKm { get; set; }
    public PictureKind? Kind { get; set; }
    public string? CameraModel { get; set; }
    public double? GpsAccuracy { get; set; }
    public int? HorizontalPixelDensity { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    /// <summary>Incremented on every change; a federated copy never replaces a newer version with an older one.</summary>
    public long Version { get; set; } = 1;
}

public enum SequenceStatus
{
    WaitingForProcess,
    Preparing,
    Ready,
    Broken,
    Deleted,
}
