using System.Diagnostics.CodeAnalysis;
using Panoramax.Domain.Pictures;

namespace Panoramax.Imaging;

/// <summary>
/// What an accepted picture file says about itself, already normalised (signed degrees, UTC instant, displayed size)
/// so the upload pipeline can copy it into a <see cref="Picture"/> without interpreting EXIF again.
/// </summary>
public sealed record PictureMetadata
{
    public required double Latitude { get; init; }
    public required double Longitude { get; init; }
    /// <summary>Metres above sea level (negative below).</summary>
    public double? Altitude { get; init; }
    /// <summary>GPSHPositioningError in metres, when the device wrote it.</summary>
    public double? GpsAccuracyM { get; init; }
    public required PositionSource PositionSource { get; init; }

    /// <summary>Capture instant, always with a zero offset (UTC).</summary>
    public required DateTimeOffset CapturedAt { get; init; }
    /// <summary>Offset of the camera's local clock from UTC, when the file says it or it could be deduced from the GPS clock.</summary>
    public short? UtcOffsetMinutes { get; init; }
    public required CaptureTimeSource CaptureTimeSource { get; init; }

    /// <summary>Degrees clockwise from north in [0, 360), from GPSImgDirection or the uploader.</summary>
    public double? Heading { get; init; }
    public double? Pitch { get; init; }
    public double? Roll { get; init; }

    public string? CameraMake { get; init; }
    public string? CameraModel { get; init; }
    public double? FocalLengthMm { get; init; }
    /// <summary>Horizontal field of view; 360 for equirectangular pictures, null when nothing allows computing it.</summary>
    public double? FieldOfViewDeg { get; init; }

    /// <summary>Size as displayed, i.e. after applying the EXIF orientation (5–8 swap width and height).</summary>
    public required int Width { get; init; }
    public required int Height { get; init; }
    /// <summary>EXIF orientation 1–8 (1 when absent or invalid).</summary>
    public int Orientation { get; init; } = 1;
    public required PictureKind Kind { get; init; }

    /// <summary>Flattened EXIF/XMP tags keyed as GeoVisio does (<c>Exif.Image.Make</c>, <c>Xmp.GPano.ProjectionType</c>).</summary>
    public required IReadOnlyDictionary<string, string> Exif { get; init; }
}

public enum PositionSource
{
    Exif,
    Xmp,
    Override,
}

/// <summary>Which clue the capture instant was built from, so a user can see why a time may be off.</summary>
public enum CaptureTimeSource
{
    /// <summary>DateTimeOriginal with OffsetTimeOriginal: exact.</summary>
    ExifWithOffset,
    /// <summary>DateTimeOriginal without offset; the offset was deduced from the GPS clock (UTC).</summary>
    ExifWithGpsDeducedOffset,
    /// <summary>DateTimeOriginal without any usable offset: read as UTC.</summary>
    ExifAssumedUtc,
    /// <summary>No EXIF date; an XMP capture date (photoshop:DateCreated, exif:DateTimeOriginal) was used.</summary>
    Xmp,
    /// <summary>No camera date at all; the GPS date and time (UTC) were used.</summary>
    Gps,
    Override,
}

/// <summary>Values the uploader gives with the file (GeoVisio's override_* upload fields); they win over the file.</summary>
public sealed record PictureOverrides
{
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public DateTimeOffset? CapturedAt { get; init; }
    public double? Heading { get; init; }

    public bool HasPosition => Latitude is not null && Longitude is not null;
}

/// <summary>The API's rejection reasons (the words GeoVisio's upload-set status uses).</summary>
public static class RejectionReasons
{
    public const string InvalidFile = "invalid_file";
    public const string InvalidMetadata = "invalid_metadata";
}

/// <summary>The API's missing-field words.</summary>
public static class MissingFields
{
    public const string Location = "location";
    public const string Datetime = "datetime";
}

/// <summary>Why a file cannot become a picture, worded so the uploader can act on it.</summary>
public sealed record PictureRejection(string Reason, string Message, IReadOnlyList<string> MissingFields)
{
    public static PictureRejection InvalidFile(string message) => new(RejectionReasons.InvalidFile, message, []);
}

/// <summary>Either metadata or a rejection: bad input is an expected outcome, never an exception.</summary>
public sealed class PictureReadResult
{
    private PictureReadResult(PictureMetadata? metadata, PictureRejection? rejection)
    {
        Metadata = metadata;
        Rejection = rejection;
    }

    public PictureMetadata? Metadata { get; }
    public PictureRejection? Rejection { get; }

    [MemberNotNullWhen(true, nameof(Metadata))]
    [MemberNotNullWhen(false, nameof(Rejection))]
    public bool IsAccepted => Metadata is not null;

    public static PictureReadResult Accepted(PictureMetadata metadata) => new(metadata, null);
    public static PictureReadResult Rejected(PictureRejection rejection) => new(null, rejection);
}
