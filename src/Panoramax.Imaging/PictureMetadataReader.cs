using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Util;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Xmp;
using NetVips;
using Panoramax.Domain.Pictures;
using Panoramax.Imaging.Metadata;
using Directory = MetadataExtractor.Directory;

namespace Panoramax.Imaging;

/// <summary>
/// Decides whether an uploaded file can become a picture and, if so, what it says (position, time, camera, 360 or
/// not). Bad input is an expected outcome: every failure is a <see cref="PictureRejection"/>, never an exception.
/// Stateless and thread-safe: register it as a singleton.
/// </summary>
public sealed class PictureMetadataReader
{
    private const string ExifNs = "http://ns.adobe.com/exif/1.0/";
    private const string GPanoNs = "http://ns.google.com/photos/1.0/panorama/";
    private const string PhotoshopNs = "http://ns.adobe.com/photoshop/1.0/";
    private const int MaxUtcOffsetMinutes = 14 * 60;

    private readonly bool _verifyPixelData;
    private readonly long _maxPixels;

    /// <param name="verifyPixelData">
    /// Decode the whole image (at 1/8 scale, cheap) to catch truncated or corrupt pixel data at upload time rather
    /// than publishing a half-grey picture. Skipped, not failed, when libvips is unavailable.
    /// </param>
    /// <param name="maxPixels">
    /// Largest picture accepted, in pixels (width × height). Processing decodes a picture whole, and a JPEG of one
    /// colour compresses to almost nothing: a few megabytes can declare a billion pixels.
    /// </param>
    public PictureMetadataReader(bool verifyPixelData = true, long maxPixels = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        _verifyPixelData = verifyPixelData;
        _maxPixels = maxPixels;
    }

    public PictureReadResult Read(string path, PictureOverrides? overrides = null)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return PictureReadResult.Rejected(PictureRejection.InvalidFile("The file could not be opened: " + e.Message));
        }
        using (stream)
        {
            return ReadCore(stream, path, overrides);
        }
    }

    /// <param name="stream">A seekable stream positioned anywhere; it is read from its start and left open.</param>
    /// <param name="overrides">Values given by the uploader, which win over the file's.</param>
    public PictureReadResult Read(Stream stream, PictureOverrides? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The picture stream must be seekable (spool uploads to a file first).", nameof(stream));
        }
        return ReadCore(stream, null, overrides);
    }

    private PictureReadResult ReadCore(Stream stream, string? path, PictureOverrides? overrides)
    {
        try
        {
            var rejection = CheckFormat(stream, out var directories, out var pixels);
            if (rejection is not null)
            {
                return PictureReadResult.Rejected(rejection);
            }
            if (pixels.Width * pixels.Height > _maxPixels)
            {
                // Before any decoding: the frame header is all it takes to refuse.
                return PictureReadResult.Rejected(PictureRejection.InvalidFile(FormattableString.Invariant(
                    $"The picture is {pixels.Width} × {pixels.Height} pixels ({pixels.Width * pixels.Height / 1e6:0.#} megapixels); this instance accepts pictures of up to {_maxPixels / 1e6:0.#} megapixels. Downscale it and upload it again.")));
            }
            if (_verifyPixelData && VipsRuntime.IsAvailable)
            {
                stream.Position = 0;
                rejection = VerifyPixelData(stream, path);
                if (rejection is not null)
                {
                    return PictureReadResult.Rejected(rejection);
                }
            }
            return Interpret(directories!, overrides);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Last line of defence: a parser bug on a hostile file must reject that file, not fail the upload request.
            return PictureReadResult.Rejected(PictureRejection.InvalidFile("The file could not be read as a picture: " + e.Message));
        }
    }

    private static PictureRejection? CheckFormat(Stream stream, out IReadOnlyList<Directory>? directories, out (long Width, long Height) pixels)
    {
        directories = null;
        pixels = default;
        stream.Position = 0;
        if (stream.Length == 0)
        {
            return PictureRejection.InvalidFile("The file is empty.");
        }
        Span<byte> magic = stackalloc byte[3];
        var read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (read < 3 || magic[0] != 0xFF || magic[1] != 0xD8 || magic[2] != 0xFF)
        {
            stream.Position = 0;
            FileType type;
            try
            {
                type = FileTypeDetector.DetectFileType(stream);
            }
            catch (Exception)
            {
                type = FileType.Unknown;
            }
            var what = type == FileType.Unknown ? "not a picture format we recognise" : $"a {type.ToString().ToUpperInvariant()} file";
            return PictureRejection.InvalidFile($"Only JPEG pictures are accepted, and this file is {what}. Convert it to JPEG, keeping its EXIF metadata.");
        }

        stream.Position = 0;
        try
        {
            directories = JpegMetadataReader.ReadMetadata(stream);
        }
        catch (Exception e) when (e is ImageProcessingException or JpegProcessingException or IOException or EndOfStreamException)
        {
            return PictureRejection.InvalidFile("The JPEG file could not be read: " + e.Message);
        }
        var jpeg = directories.OfType<JpegDirectory>().FirstOrDefault();
        if (jpeg is null || !jpeg.TryGetInt32(JpegDirectory.TagImageWidth, out var w) || !jpeg.TryGetInt32(JpegDirectory.TagImageHeight, out var h) || w <= 0 || h <= 0)
        {
            return PictureRejection.InvalidFile("The JPEG file has no image frame (it is damaged or not a real picture).");
        }
        pixels = (w, h);
        return null;
    }

    private static PictureRejection? VerifyPixelData(Stream stream, string? path)
    {
        // shrink=8 lets libjpeg skip most of the IDCT work, but it still walks every entropy-coded byte, which is
        // where truncation and corruption show up.
        var options = new VOption { { "shrink", 8 } };
        try
        {
            using var image = path is not null
                ? Image.NewFromFile(path, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated, kwargs: options)
                : Image.NewFromStream(stream, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated, kwargs: options);
            image.Avg();
            return null;
        }
        catch (VipsException e)
        {
            var message = e.Message;
            if (message.Contains("premature end", StringComparison.OrdinalIgnoreCase) || message.Contains("truncated", StringComparison.OrdinalIgnoreCase))
            {
                return PictureRejection.InvalidFile("The image data is truncated: the file stops before the end of the picture (an interrupted copy or upload?). Send the complete file.");
            }
            return PictureRejection.InvalidFile("The image data could not be decoded: " + FirstLine(message));
        }
    }

    private static string FirstLine(string s)
    {
        var trimmed = s.Trim();
        var nl = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return nl > 0 ? trimmed[..nl] : trimmed;
    }

    private static PictureReadResult Interpret(IReadOnlyList<Directory> directories, PictureOverrides? overrides)
    {
        var tags = new Tags(directories);
        var missing = new List<string>(2);

        // Position
        double latitude = 0, longitude = 0;
        PositionSource positionSource = PositionSource.Exif;
        if (overrides is { HasPosition: true })
        {
            if (overrides.Latitude is not (>= -90 and <= 90) || overrides.Longitude is not (>= -180 and <= 180))
            {
                return PictureReadResult.Rejected(new PictureRejection(RejectionReasons.InvalidMetadata,
                    "The position given with the file is out of range (latitude −90…90, longitude −180…180).", [MissingFields.Location]));
            }
            (latitude, longitude, positionSource) = (overrides.Latitude.Value, overrides.Longitude.Value, PositionSource.Override);
        }
        else if (tags.ExifPosition() is { } exifPosition)
        {
            (latitude, longitude) = exifPosition;
        }
        else if (tags.XmpPosition() is { } xmpPosition)
        {
            (latitude, longitude, positionSource) = (xmpPosition.Lat, xmpPosition.Lon, PositionSource.Xmp);
        }
        else
        {
            missing.Add(MissingFields.Location);
        }

        // Capture time
        var time = overrides?.CapturedAt is { } overrideTime
            ? (At: overrideTime.ToUniversalTime(), Offset: (int?)(int)overrideTime.Offset.TotalMinutes, Source: CaptureTimeSource.Override)
            : tags.CaptureTime();
        if (time is null)
        {
            missing.Add(MissingFields.Datetime);
        }

        if (missing.Count > 0)
        {
            var what = missing.Count == 2 ? "no GPS position and no capture date"
                : missing[0] == MissingFields.Location ? "no GPS position" : "no capture date";
            return PictureReadResult.Rejected(new PictureRejection(RejectionReasons.InvalidMetadata,
                $"The picture has {what} in its EXIF/XMP metadata. Geotag the file, or give the missing values with the upload.", missing));
        }

        var orientation = tags.Orientation();
        var (width, height) = tags.StoredSize();
        if (orientation >= 5)
        {
            (width, height) = (height, width);
        }
        var make = tags.Ifd0String(ExifDirectoryBase.TagMake);
        var model = tags.Ifd0String(ExifDirectoryBase.TagModel);
        var projection = tags.Xmp(GPanoNs, "ProjectionType");
        var kind = string.Equals(projection?.Trim(), "equirectangular", StringComparison.OrdinalIgnoreCase)
            || (width == 2 * height && Cameras.IsKnown360(make, model))
            ? PictureKind.Equirectangular
            : PictureKind.Flat;
        var focal = tags.FocalLength();

        var metadata = new PictureMetadata
        {
            Latitude = latitude,
            Longitude = longitude,
            PositionSource = positionSource,
            Altitude = positionSource == PositionSource.Override ? null : tags.Altitude(),
            GpsAccuracyM = positionSource == PositionSource.Override ? null : tags.HorizontalAccuracy(),
            CapturedAt = time!.Value.At,
            UtcOffsetMinutes = time.Value.Offset is { } o ? (short)o : null,
            CaptureTimeSource = time.Value.Source,
            Heading = NormaliseHeading(overrides?.Heading) ?? tags.Heading(),
            Pitch = ExifValues.ParseXmpNumber(tags.Xmp(GPanoNs, "PosePitchDegrees")),
            Roll = ExifValues.ParseXmpNumber(tags.Xmp(GPanoNs, "PoseRollDegrees")),
            CameraMake = make,
            CameraModel = model,
            FocalLengthMm = focal,
            FieldOfViewDeg = kind == PictureKind.Equirectangular ? 360 : tags.FieldOfView(focal),
            Width = width,
            Height = height,
            Orientation = orientation,
            Kind = kind,
            Exif = ExifFlattener.Flatten(directories),
        };
        return PictureReadResult.Accepted(metadata);
    }

    private static double? NormaliseHeading(double? degrees) =>
        degrees is { } d && double.IsFinite(d) ? ((d % 360) + 360) % 360 : null;

    /// <summary>Typed, exception-free access to the handful of tags we interpret.</summary>
    private sealed class Tags
    {
        private readonly ExifIfd0Directory? _ifd0;
        private readonly ExifSubIfdDirectory? _sub;
        private readonly GpsDirectory? _gps;
        private readonly XmpDirectory? _xmp;
        private readonly JpegDirectory? _jpeg;

        public Tags(IReadOnlyList<Directory> directories)
        {
            _ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
            _sub = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
            _gps = directories.OfType<GpsDirectory>().FirstOrDefault();
            _xmp = directories.OfType<XmpDirectory>().FirstOrDefault();
            _jpeg = directories.OfType<JpegDirectory>().FirstOrDefault();
        }

        public (int Width, int Height) StoredSize() =>
            (Int(_jpeg, JpegDirectory.TagImageWidth) ?? 0, Int(_jpeg, JpegDirectory.TagImageHeight) ?? 0);

        public int Orientation() => Int(_ifd0, ExifDirectoryBase.TagOrientation) is { } o and >= 1 and <= 8 ? o : 1;

        public string? Ifd0String(int tag) => NonEmpty(Str(_ifd0, tag));

        public string? Xmp(string ns, string name)
        {
            try
            {
                return NonEmpty(_xmp?.XmpMeta?.GetPropertyString(ns, name));
            }
            catch (Exception)
            {
                return null;
            }
        }

        public (double Lat, double Lon)? ExifPosition()
        {
            if (_gps is null)
            {
                return null;
            }
            var latRef = Str(_gps, GpsDirectory.TagLatitudeRef)?.Trim().ToUpperInvariant();
            var lonRef = Str(_gps, GpsDirectory.TagLongitudeRef)?.Trim().ToUpperInvariant();
            var lat = ExifValues.DegreesFromRationals(Rationals(_gps, GpsDirectory.TagLatitude), 90);
            var lon = ExifValues.DegreesFromRationals(Rationals(_gps, GpsDirectory.TagLongitude), 180);
            // Without its hemisphere a coordinate may be on the wrong side of the planet: treat it as missing.
            if (lat is null || lon is null || latRef is not ("N" or "S") || lonRef is not ("E" or "W"))
            {
                return null;
            }
            return Plausible(latRef == "S" ? -lat.Value : lat.Value, lonRef == "W" ? -lon.Value : lon.Value);
        }

        public (double Lat, double Lon)? XmpPosition()
        {
            var lat = ExifValues.ParseXmpCoordinate(Xmp(ExifNs, "GPSLatitude"), latitude: true);
            var lon = ExifValues.ParseXmpCoordinate(Xmp(ExifNs, "GPSLongitude"), latitude: false);
            return lat is null || lon is null ? null : Plausible(lat.Value, lon.Value);
        }

        // 0,0 is what broken GPS modules write before a fix; nobody photographs streets at Null Island.
        private static (double, double)? Plausible(double lat, double lon) => lat == 0 && lon == 0 ? null : (lat, lon);

        public double? Altitude()
        {
            if (Rational(_gps, GpsDirectory.TagAltitude) is { } alt)
            {
                return Int(_gps, GpsDirectory.TagAltitudeRef) == 1 ? -alt : alt;
            }
            if (ExifValues.ParseXmpNumber(Xmp(ExifNs, "GPSAltitude")) is { } xmpAlt)
            {
                return Xmp(ExifNs, "GPSAltitudeRef") == "1" ? -xmpAlt : xmpAlt;
            }
            return null;
        }

        public double? HorizontalAccuracy() =>
            (Rational(_gps, 0x001F) ?? ExifValues.ParseXmpNumber(Xmp(ExifNs, "GPSHPositioningError"))) is { } a && a >= 0 ? a : null;

        public double? Heading() =>
            NormaliseHeading(Rational(_gps, GpsDirectory.TagImgDirection) ?? ExifValues.ParseXmpNumber(Xmp(ExifNs, "GPSImgDirection")));

        public double? FocalLength() => Rational(_sub, ExifDirectoryBase.TagFocalLength) is { } f && f > 0 ? f : null;

        public double? FieldOfView(double? focal)
        {
            if (Int(_sub, ExifDirectoryBase.Tag35MMFilmEquivFocalLength) is { } f35 && f35 > 0)
            {
                return Cameras.FieldOfView(f35, 36);
            }
            // The focal-plane resolution gives the sensor width: pixels across / pixels per unit.
            if (focal is { } f
                && Rational(_sub, ExifDirectoryBase.TagFocalPlaneXResolution) is { } xres && xres > 0
                && (Int(_sub, ExifDirectoryBase.TagExifImageWidth) ?? StoredSize().Width) is var pixels and > 0)
            {
                double? unitMm = Int(_sub, ExifDirectoryBase.TagFocalPlaneResolutionUnit) switch
                {
                    2 or null => 25.4,
                    3 => 10,
                    4 => 1,
                    5 => 0.001,
                    _ => null,
                };
                if (unitMm is { } u)
                {
                    return Cameras.FieldOfView(f, pixels / xres * u);
                }
            }
            return null;
        }

        public (DateTimeOffset At, int? Offset, CaptureTimeSource Source)? CaptureTime()
        {
            var gpsUtc = GpsUtc();
            var dto = ExifValues.ParseDateTime(Str(_sub, ExifDirectoryBase.TagDateTimeOriginal) ?? Str(_ifd0, ExifDirectoryBase.TagDateTimeOriginal));
            if (dto is { } exif)
            {
                var local = exif.Value;
                if (local.Ticks % TimeSpan.TicksPerSecond == 0)
                {
                    local = local.AddTicks(ExifValues.SubSecondTicks(Str(_sub, ExifDirectoryBase.TagSubsecondTimeOriginal)));
                }
                var offset = exif.OffsetMinutes
                    ?? ExifValues.ParseOffsetMinutes(Str(_sub, ExifDirectoryBase.TagTimeZoneOriginal))
                    ?? ExifValues.ParseOffsetMinutes(Str(_sub, ExifDirectoryBase.TagTimeZone));
                return Resolve(local, offset, gpsUtc, CaptureTimeSource.ExifWithOffset, CaptureTimeSource.ExifWithGpsDeducedOffset, CaptureTimeSource.ExifAssumedUtc);
            }
            // XMP capture dates only; xmp:CreateDate/ModifyDate and IFD0 DateTime describe edits of the file, not the shot.
            var xmpDate = ExifValues.ParseDateTime(Xmp(ExifNs, "DateTimeOriginal")) ?? ExifValues.ParseDateTime(Xmp(PhotoshopNs, "DateCreated"));
            if (xmpDate is { } x)
            {
                return Resolve(x.Value, x.OffsetMinutes, gpsUtc, CaptureTimeSource.Xmp, CaptureTimeSource.Xmp, CaptureTimeSource.Xmp);
            }
            if (gpsUtc is { } gps)
            {
                return (new DateTimeOffset(gps, TimeSpan.Zero), null, CaptureTimeSource.Gps);
            }
            return null;
        }

        private static (DateTimeOffset, int?, CaptureTimeSource) Resolve(DateTime local, int? offset, DateTime? gpsUtc,
            CaptureTimeSource withOffset, CaptureTimeSource deduced, CaptureTimeSource assumedUtc)
        {
            if (offset is { } o)
            {
                return (new DateTimeOffset(local.AddMinutes(-o), TimeSpan.Zero), o, withOffset);
            }
            if (gpsUtc is { } gps)
            {
                // The camera clock is local time: its distance to the GPS clock, rounded to the quarter hour, is the zone
                // offset. A distance no time zone has means one of the clocks is wrong: keep the camera's date then.
                var minutes = (int)Math.Round((local - gps).TotalMinutes / 15.0) * 15;
                if (Math.Abs(minutes) <= MaxUtcOffsetMinutes)
                {
                    return (new DateTimeOffset(local.AddMinutes(-minutes), TimeSpan.Zero), minutes, deduced);
                }
            }
            return (new DateTimeOffset(local, TimeSpan.Zero), null, assumedUtc);
        }

        private DateTime? GpsUtc()
        {
            var date = Str(_gps, GpsDirectory.TagDateStamp);
            var time = Rationals(_gps, GpsDirectory.TagTimeStamp);
            if (date is not null && time is { Length: 3 } && time.All(t => t.Denominator != 0)
                && ExifValues.ParseDateTime(date.Trim() + " 00:00:00") is { } day)
            {
                var seconds = (time[0].ToDouble() * 3600) + (time[1].ToDouble() * 60) + time[2].ToDouble();
                if (seconds is >= 0 and < 86400)
                {
                    return day.Value.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
                }
            }
            // XMP's exif:GPSTimeStamp is a full ISO date-time in UTC.
            if (ExifValues.ParseDateTime(Xmp(ExifNs, "GPSTimeStamp")) is { } xmp)
            {
                return xmp.Value.AddMinutes(-(xmp.OffsetMinutes ?? 0));
            }
            return null;
        }

        private static string? NonEmpty(string? s)
        {
            var t = s?.Trim('\0', ' ');
            return string.IsNullOrEmpty(t) ? null : t;
        }

        private static string? Str(Directory? dir, int tag)
        {
            try
            {
                return dir?.GetString(tag);
            }
            catch (Exception)
            {
                return null;
            }
        }

        private static int? Int(Directory? dir, int tag)
        {
            try
            {
                return dir is not null && dir.TryGetInt32(tag, out var v) ? v : null;
            }
            catch (Exception)
            {
                return null;
            }
        }

        private static double? Rational(Directory? dir, int tag)
        {
            try
            {
                if (dir?.GetObject(tag) is Rational r && r.Denominator != 0)
                {
                    var v = r.ToDouble();
                    return double.IsFinite(v) ? v : null;
                }
                return null;
            }
            catch (Exception)
            {
                return null;
            }
        }

        private static Rational[]? Rationals(Directory? dir, int tag)
        {
            try
            {
                return dir?.GetObject(tag) as Rational[];
            }
            catch (Exception)
            {
                return null;
            }
        }
    }
}
