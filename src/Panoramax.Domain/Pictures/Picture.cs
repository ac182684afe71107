using NetTopologySuite.Geometries;

namespace Panoramax.Domain.Pictures;

/// <summary>
/// One geolocated photo. Its id is a global UUID created at its origin instance and kept by every peer.
/// A picture is published only when <see cref="Status"/> is ready, which implies it was blurred (or declared blurred).
/// </summary>
public sealed class Picture
{
    public Guid Id { get; set; }
    public Guid OriginInstanceId { get; set; }
    public Guid AccountId { get; set; }
    public Guid? SequenceId { get; set; }
    /// <summary>1-based position in the sequence.</summary>
    public int Rank { get; set; }
    public Guid? UploadSetId { get; set; }

    public required Point Location { get; set; }
    /// <summary>Capture instant (stored in UTC).</summary>
    public DateTimeOffset CapturedAt { get; set; }
    /// <summary>UTC offset of the camera clock in minutes, when the file says it (EXIF OffsetTime*).</summary>
    public short? CaptureUtcOffsetMinutes { get; set; }
    /// <summary>Degrees clockwise from north, 0–360.</summary>
    public double? Heading { get; set; }
    /// <summary>True when <see cref="Heading"/> came from the file or the user, false when computed from the sequence.</summary>
    public bool HeadingFromUser { get; set; }
    public double? Pitch { get; set; }
    public double? Roll { get; set; }
    public PictureKind Kind { get; set; }
    public string? CameraMake { get; set; }
    public string? CameraModel { get; set; }
    public double? FocalLengthMm { get; set; }
    public double? FieldOfViewDeg { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }
    public double? GpsAccuracyM { get; set; }
    public int? HorizontalPixelDensity { get; set; }

    public required byte[] ContentSha256 { get; set; }
    public required string OriginalFileName { get; set; }
    public long OriginalFileSize { get; set; }

    public PictureStatus Status { get; set; } = PictureStatus.WaitingForProcess;
    public Visibility.Visibility Visibility { get; set; } = Domain.Visibility.Visibility.Anyone;
    public string? License { get; set; }
    /// <summary>Whether the stored HD file has been blurred (by us, a remote service, or declared so by the uploader).</summary>
    public bool Blurred { get; set; }
    public BlurSource BlurSource { get; set; } = BlurSource.None;

    /// <summary>Flattened EXIF/XMP tags (<c>Exif.Image.Make</c> → value) as jsonb.</summary>
    public string Exif { get; set; } = "{}";
    /// <summary>Tags as a JSON array of <c>{key, value}</c> objects.</summary>
    public string Semantics { get; set; } = "[]";

    /// <summary>Blob-store key of the HD (published, blurred) file.</summary>
    public string? HdKey { get; set; }
    /// <summary>Blob-store key of the unblurred original when originals are kept privately; never served publicly.</summary>
    public string? OriginalKey { get; set; }
    public string? SdKey { get; set; }
    public string? ThumbKey { get; set; }
    /// <summary>Blob-store prefix of the 360° tile pyramid (<c>{prefix}/{col}_{row}.jpg</c>).</summary>
    public string? TilesPrefix { get; set; }
    public int? TileCols { get; set; }
    public int? TileRows { get; set; }

    /// <summary>
    /// For pictures replicated from another origin: the origin's file hrefs as JSON (<c>{"hd":…,"sd":…,"thumb":…,"tiles":…}</c>).
    /// Files stay on their origin; our STAC answers link there. Null for local pictures.
    /// </summary>
    public string? RemoteAssets { get; set; }

    public string? ProcessError { get; set; }
    public int ProcessAttempts { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
    public long Version { get; set; } = 1;
}

/// <summary>Projection of a picture: flat (perspective) or a 360° equirectangular sphere.</summary>
public enum PictureKind
{
    Flat,
    Equirectangular,
}

public enum PictureStatus
{
    WaitingForProcess,
    Preparing,
    Ready,
    Broken,
    WaitingForDelete,
    Deleted,
}

/// <summary>Who is responsible for the picture being blurred, recorded for accountability.</summary>
public enum BlurSource
{
    /// <summary>Not blurred yet.</summary>
    None,
    /// <summary>Our own detectors.</summary>
    Instance,
    /// <summary>A remote /blur/ service configured by the admin.</summary>
    RemoteService,
    /// <summary>The uploader declared it already blurred (GeoVisio's isBlurred).</summary>
    DeclaredByUploader,
    /// <summary>An admin turned blurring off for this instance.</summary>
    DisabledByAdmin,
}
