using System.Globalization;
using Panoramax.Domain.Pictures;
using Panoramax.Imaging;

namespace Panoramax.UnitTests.Imaging;

/// <summary>Expected values come from the EXIF tables of shared/data/MANIFEST.md (exiftool -n).</summary>
public class PictureMetadataReaderTests
{
    private readonly PictureMetadataReader _reader = new();

    private PictureMetadata Accept(string file, PictureOverrides? overrides = null)
    {
        var result = _reader.Read(SharedData.Path(file), overrides);
        Assert.True(result.IsAccepted, $"{file} was rejected: {result.Rejection?.Reason} {result.Rejection?.Message}");
        return result.Metadata;
    }

    private PictureRejection Reject(string file, PictureOverrides? overrides = null)
    {
        var result = _reader.Read(SharedData.Path(file), overrides);
        Assert.False(result.IsAccepted, $"{file} was accepted");
        Assert.False(string.IsNullOrWhiteSpace(result.Rejection.Message));
        return result.Rejection;
    }

    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Theory]
    [InlineData("a-exif-samples-arezzo/DSCN0010.jpg", 43.467448, 11.885127, "2008-10-22T16:28:39Z")]
    [InlineData("a-exif-samples-arezzo/DSCN0012.jpg", 43.467157, 11.885395, "2008-10-22T16:29:49Z")]
    [InlineData("a-exif-samples-arezzo/DSCN0042.jpg", 43.464455, 11.881478, "2008-10-22T17:00:07Z")]
    [InlineData("b-mapillary-tools/DSC00001.JPG", 45.516903, -122.572765, "2018-06-08T20:24:10Z")]
    [InlineData("b-mapillary-tools/adobe_coords.jpg", -0.070267, 34.381935, "2019-07-16T10:26:11Z")]
    [InlineData("b-mapillary-tools/corrupt_exif.jpg", 48.081045, -1.667841, "2016-07-07T21:42:20.68367Z")]
    [InlineData("b-mapillary-tools/corrupt_exif_2.jpg", 48.081045, -1.667841, "2016-08-31T08:29:26.68367Z")]
    [InlineData("b-mapillary-tools/fixed_exif.jpg", 48.081045, -1.667841, "2016-07-07T21:42:20.68367Z")]
    [InlineData("b-mapillary-tools/test_exif.jpg", 35.912517, 14.498806, "2018-06-26T17:46:33.847Z")]
    [InlineData("c-immich-formats/thompson-springs.jpg", 39.115, -108.400968, "2022-01-10T21:15:44.31Z")]
    [InlineData("c-immich-formats/datetimeoriginal-gps.jpg", 39.0, -108.0, "2025-12-01T11:30:00Z")]
    [InlineData("c-immich-formats/gps-datetime.jpg", 37.7749, -122.4194, "2023-11-15T12:30:00Z")]
    [InlineData("f-360-gopro-max/GSAG2002.JPG", 52.443412, 6.889934, "2020-05-09T12:16:30Z")]
    [InlineData("g-sgblur-fixture/flat_urban_with_face_and_sign_small.jpg", 48.849209, 2.416134, "2023-11-02T14:18:38.352954Z")]
    public void Geotagged_jpeg_gives_signed_position_and_utc_capture_time(string file, double lat, double lon, string utc)
    {
        var m = Accept(file);
        Assert.Equal(lat, m.Latitude, 0.000001);
        Assert.Equal(lon, m.Longitude, 0.000001);
        Assert.Equal(Utc(utc), m.CapturedAt);
        Assert.Equal(TimeSpan.Zero, m.CapturedAt.Offset);
    }

    [Fact]
    public void Offset_time_original_gives_the_camera_utc_offset()
    {
        var m = Accept("b-mapillary-tools/DSC00001.JPG");
        Assert.Equal((short)-420, m.UtcOffsetMinutes);
        Assert.Equal(CaptureTimeSource.ExifWithOffset, m.CaptureTimeSource);
        Assert.Equal(70.3, m.Altitude!.Value, 1);
        Assert.Equal("SONY", m.CameraMake);
        Assert.Equal("HDR-AS300", m.CameraModel);
        Assert.Equal((3840, 2160), (m.Width, m.Height));
        Assert.Equal(PictureKind.Flat, m.Kind);
        Assert.Null(m.Heading);
    }

    [Fact]
    public void Without_offset_the_gps_clock_gives_the_offset_when_it_is_a_real_time_zone()
    {
        var gopro = Accept("f-360-gopro-max/GSAG2002.JPG");
        Assert.Equal((short)120, gopro.UtcOffsetMinutes);
        Assert.Equal(CaptureTimeSource.ExifWithGpsDeducedOffset, gopro.CaptureTimeSource);

        var thompson = Accept("c-immich-formats/thompson-springs.jpg");
        Assert.Equal((short)-360, thompson.UtcOffsetMinutes);
        Assert.Equal(CaptureTimeSource.Xmp, thompson.CaptureTimeSource);
    }

    [Theory]
    [InlineData("a-exif-samples-arezzo/DSCN0010.jpg")] // GPS clock one day (+22 h) after the camera's
    [InlineData("b-mapillary-tools/test_exif.jpg")] // GPS clock 7 years before the camera's
    public void Camera_and_gps_clocks_too_far_apart_keep_the_camera_time_as_utc(string file)
    {
        var m = Accept(file);
        Assert.Null(m.UtcOffsetMinutes);
        Assert.Equal(CaptureTimeSource.ExifAssumedUtc, m.CaptureTimeSource);
    }

    [Fact]
    public void Gps_time_alone_is_a_capture_time()
    {
        var m = Accept("c-immich-formats/gps-datetime.jpg");
        Assert.Equal(CaptureTimeSource.Gps, m.CaptureTimeSource);
        Assert.Null(m.UtcOffsetMinutes);
    }

    [Fact]
    public void Gopro_max_panorama_is_equirectangular_with_360_field_of_view()
    {
        var m = Accept("f-360-gopro-max/GSAG2002.JPG");
        Assert.Equal(PictureKind.Equirectangular, m.Kind);
        Assert.Equal(360, m.FieldOfViewDeg);
        Assert.Equal((5760, 2880), (m.Width, m.Height));
        Assert.Equal("GoPro", m.CameraMake);
        Assert.Equal("GoPro Max", m.CameraModel);
        Assert.Equal(89.4, m.Altitude!.Value, 1);
        Assert.Equal(0, m.Pitch);
        Assert.Equal(0, m.Roll);
        // GoPro writes PoseHeadingDegrees = 0 whatever the direction: it is not a heading.
        Assert.Null(m.Heading);
        Assert.Equal("equirectangular", m.Exif["Xmp.GPano.ProjectionType"]);
    }

    [Fact]
    public void Xmp_only_gps_in_adobe_text_form_is_read()
    {
        var m = Accept("b-mapillary-tools/adobe_coords.jpg");
        Assert.Equal(PositionSource.Xmp, m.PositionSource);
        Assert.Equal(176.3, m.Heading!.Value, 3);
        Assert.Equal(1361.69, m.Altitude!.Value, 2);
        Assert.Equal(PictureKind.Equirectangular, m.Kind);
        Assert.Equal((32, 28), (m.Width, m.Height));
    }

    [Theory]
    [InlineData("b-mapillary-tools/corrupt_exif.jpg", 148.0)]
    [InlineData("b-mapillary-tools/test_exif.jpg", 1.0)]
    [InlineData("c-immich-formats/thompson-springs.jpg", 206.0)]
    [InlineData("g-sgblur-fixture/flat_urban_with_face_and_sign_small.jpg", 160.5)]
    public void Gps_img_direction_is_the_heading(string file, double heading) =>
        Assert.Equal(heading, Accept(file).Heading!.Value, 0.05);

    [Fact]
    public void Flat_field_of_view_comes_from_the_35mm_equivalent_focal_length()
    {
        var m = Accept("a-exif-samples-arezzo/DSCN0010.jpg");
        Assert.Equal(24, m.FocalLengthMm);
        Assert.Equal(18.26, m.FieldOfViewDeg!.Value, 2);
        Assert.Equal("NIKON", m.CameraMake);
        Assert.Equal("COOLPIX P6000", m.CameraModel);
        Assert.Equal((640, 480), (m.Width, m.Height));
    }

    [Fact]
    public void Field_of_view_is_unknown_without_35mm_focal_or_sensor_size() =>
        Assert.Null(Accept("b-mapillary-tools/corrupt_exif.jpg").FieldOfViewDeg);

    [Fact]
    public void Decoded_size_wins_over_stale_exif_dimensions() =>
        Assert.Equal((512, 384), (Accept("g-sgblur-fixture/flat_urban_with_face_and_sign_small.jpg") is var m ? (m.Width, m.Height) : default));

    [Theory]
    [InlineData("a-exif-samples-arezzo/landscape_6.jpg", 6, 600, 450)]
    [InlineData("a-exif-samples-arezzo/portrait_8.jpg", 8, 450, 600)]
    [InlineData("c-immich-formats/portrait-orientation-6.jpg", 6, 840, 700)]
    [InlineData("c-immich-formats/portrait.jpg", 1, 840, 700)]
    [InlineData("b-mapillary-tools/test_exif.jpg", 2, 16, 16)]
    public void Size_is_the_displayed_size_after_exif_orientation(string file, int orientation, int width, int height)
    {
        var m = Accept(file, Somewhere);
        Assert.Equal(orientation, m.Orientation);
        Assert.Equal((width, height), (m.Width, m.Height));
    }

    [Fact]
    public void Exif_is_flattened_with_geovisio_keys_and_without_maker_notes()
    {
        var exif = Accept("a-exif-samples-arezzo/DSCN0010.jpg").Exif;
        Assert.Equal("NIKON", exif["Exif.Image.Make"]);
        Assert.Equal("2008:10:22 16:28:39", exif["Exif.Photo.DateTimeOriginal"]);
        Assert.Equal("N", exif["Exif.GPSInfo.GPSLatitudeRef"]);
        Assert.Matches(@"^43/1 28/1 \d+/\d+$", exif["Exif.GPSInfo.GPSLatitude"]);
        Assert.Equal("112", exif["Exif.Photo.FocalLengthIn35mmFilm"]);
        Assert.DoesNotContain(exif.Keys, k => k.Contains("MakerNote", StringComparison.OrdinalIgnoreCase));
        Assert.All(exif.Keys, k => Assert.Matches(@"^(Exif\.(Image|Photo|GPSInfo|Iop)|Xmp\.[A-Za-z0-9]+)\.[A-Za-z0-9]+$", k));
        Assert.All(exif.Values, v => Assert.True(v.Length < 1000));
    }

    [Theory]
    [InlineData("c-immich-formats/denali.webp")]
    [InlineData("c-immich-formats/IMG_2682.heic")]
    [InlineData("c-immich-formats/density_plot.png")]
    [InlineData("c-immich-formats/8bit-sRGB.avif")]
    [InlineData("h-bad-files/text_renamed.jpg")]
    public void Non_jpeg_file_is_rejected_as_invalid_file(string file)
    {
        var r = Reject(file);
        Assert.Equal(RejectionReasons.InvalidFile, r.Reason);
        Assert.Contains("JPEG", r.Message, StringComparison.Ordinal);
        Assert.Empty(r.MissingFields);
    }

    [Fact]
    public void Empty_file_is_rejected_as_invalid_file()
    {
        var r = Reject("h-bad-files/empty.jpg");
        Assert.Equal(RejectionReasons.InvalidFile, r.Reason);
        Assert.Contains("empty", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_jpeg_with_intact_exif_is_rejected_as_invalid_file()
    {
        var r = Reject("h-bad-files/DSCN0010_truncated_50pct.jpg");
        Assert.Equal(RejectionReasons.InvalidFile, r.Reason);
        Assert.Contains("truncated", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_jpeg_read_from_a_stream_is_rejected_too()
    {
        using var stream = new MemoryStream(File.ReadAllBytes(SharedData.Path("h-bad-files/DSCN0010_truncated_50pct.jpg")));
        var result = _reader.Read(stream);
        Assert.False(result.IsAccepted);
        Assert.Contains("truncated", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Picture_over_the_pixel_limit_is_rejected_from_its_header_before_any_decoding()
    {
        // A real picture whose frame header now declares 60000 × 60000 pixels: decoding it would fail as truncated, so
        // the size message proves the limit is checked first, from the header alone.
        var bytes = File.ReadAllBytes(SharedData.Path("a-exif-samples-arezzo/DSCN0010.jpg"));
        // Walk the segments (the EXIF thumbnail inside APP1 has a frame header of its own) to the main frame header.
        var sof = 2;
        while (bytes[sof + 1] is not (0xC0 or 0xC1 or 0xC2))
        {
            sof += 2 + ((bytes[sof + 2] << 8) | bytes[sof + 3]);
        }
        bytes[sof + 5] = bytes[sof + 7] = 60000 >> 8;
        bytes[sof + 6] = bytes[sof + 8] = 60000 & 0xFF;
        using var bomb = new MemoryStream(bytes);

        var result = new PictureMetadataReader(maxPixels: 150_000_000).Read(bomb);

        Assert.False(result.IsAccepted);
        Assert.Equal(RejectionReasons.InvalidFile, result.Rejection.Reason);
        Assert.Contains("60000 × 60000 pixels (3600 megapixels)", result.Rejection.Message, StringComparison.Ordinal);
        Assert.Contains("up to 150 megapixels", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Picture_at_or_under_the_pixel_limit_is_accepted()
    {
        // DSCN0010.jpg is 640 × 480.
        Assert.True(new PictureMetadataReader(maxPixels: 640 * 480).Read(SharedData.Path("a-exif-samples-arezzo/DSCN0010.jpg")).IsAccepted);
        Assert.False(new PictureMetadataReader(maxPixels: 640 * 480 - 1).Read(SharedData.Path("a-exif-samples-arezzo/DSCN0010.jpg")).IsAccepted);
    }

    [Fact]
    public void Reading_a_stream_gives_the_same_metadata_as_reading_the_file()
    {
        var path = SharedData.Path("b-mapillary-tools/DSC00001.JPG");
        using var stream = File.OpenRead(path);
        stream.Position = 1234; // the reader starts from the beginning whatever the position
        var fromStream = _reader.Read(stream);
        var fromFile = _reader.Read(path);
        Assert.True(fromStream.IsAccepted);
        Assert.True(fromFile.IsAccepted);
        Assert.Equal(fromFile.Metadata with { Exif = fromStream.Metadata.Exif }, fromStream.Metadata);
        Assert.Equal(fromFile.Metadata.Exif, fromStream.Metadata.Exif);
    }

    [Theory]
    [InlineData("a-exif-samples-arezzo/no_exif.jpg", new[] { "location", "datetime" })]
    [InlineData("c-immich-formats/time-created.jpg", new[] { "location", "datetime" })]
    [InlineData("b-mapillary-tools/empty_exif.jpg", new[] { "location", "datetime" })]
    [InlineData("b-mapillary-tools/corrupt_exif_large_thumbnail.jpg", new[] { "location", "datetime" })]
    [InlineData("b-mapillary-tools/corrupt_exif_wrong_type.jpg", new[] { "location", "datetime" })]
    [InlineData("b-mapillary-tools/corrupt_exif_trusted_wrong_type.jpg", new[] { "location", "datetime" })]
    [InlineData("c-immich-formats/empty_gps.jpg", new[] { "location" })]
    [InlineData("c-immich-formats/el_torcal_rocks.jpg", new[] { "location" })]
    [InlineData("c-immich-formats/date-priority-test.jpg", new[] { "location" })]
    public void Upload_without_gps_or_capture_time_is_rejected_with_the_missing_fields(string file, string[] missing)
    {
        var r = Reject(file);
        Assert.Equal(RejectionReasons.InvalidMetadata, r.Reason);
        Assert.Equal(missing, r.MissingFields);
    }

    private static readonly PictureOverrides Somewhere = new()
    {
        Latitude = 48.8566,
        Longitude = 2.3522,
        CapturedAt = new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.FromHours(2)),
    };

    [Fact]
    public void Picture_without_metadata_is_accepted_with_position_and_time_overrides()
    {
        var m = Accept("a-exif-samples-arezzo/no_exif.jpg", Somewhere with { Heading = 370 });
        Assert.Equal(48.8566, m.Latitude);
        Assert.Equal(2.3522, m.Longitude);
        Assert.Equal(PositionSource.Override, m.PositionSource);
        Assert.Equal(Utc("2024-05-01T08:00:00Z"), m.CapturedAt);
        Assert.Equal((short)120, m.UtcOffsetMinutes);
        Assert.Equal(CaptureTimeSource.Override, m.CaptureTimeSource);
        Assert.Equal(10, m.Heading);
        Assert.Equal((322, 466), (m.Width, m.Height));
    }

    [Fact]
    public void A_position_override_alone_leaves_the_date_missing()
    {
        var r = Reject("a-exif-samples-arezzo/no_exif.jpg", new PictureOverrides { Latitude = 1, Longitude = 2 });
        Assert.Equal(["datetime"], r.MissingFields);
    }

    [Fact]
    public void Empty_gps_is_accepted_with_a_position_override()
    {
        var m = Accept("c-immich-formats/empty_gps.jpg", new PictureOverrides { Latitude = -33.5, Longitude = 151.25 });
        Assert.Equal((-33.5, 151.25), (m.Latitude, m.Longitude));
        Assert.Equal(Utc("2025-06-01T16:59:26.02346Z"), m.CapturedAt);
        Assert.Equal((4640, 3472), (m.Width, m.Height));
    }

    [Fact]
    public void Overrides_win_over_the_file()
    {
        var m = Accept("a-exif-samples-arezzo/DSCN0010.jpg", new PictureOverrides { Heading = 90, CapturedAt = Utc("2020-01-01T00:00:00Z") });
        Assert.Equal(43.467448, m.Latitude, 5);
        Assert.Equal(90, m.Heading);
        Assert.Equal(Utc("2020-01-01T00:00:00Z"), m.CapturedAt);
    }

    [Fact]
    public void Out_of_range_position_override_is_rejected()
    {
        var r = Reject("a-exif-samples-arezzo/no_exif.jpg", Somewhere with { Latitude = 95 });
        Assert.Equal(RejectionReasons.InvalidMetadata, r.Reason);
    }

    [Fact]
    public void Every_shared_file_is_read_without_throwing()
    {
        var data = Path.Combine(SharedData.Shared, "data");
        var files = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var result = _reader.Read(file);
            Assert.True(result.IsAccepted || result.Rejection!.Reason is RejectionReasons.InvalidFile or RejectionReasons.InvalidMetadata, file);
        }
    }
}
