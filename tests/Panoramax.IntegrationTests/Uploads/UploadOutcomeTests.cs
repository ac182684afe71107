using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.UploadSets;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Uploads;

/// <summary>What a picture file of shared/data should give at upload time (MANIFEST.md, exiftool -n).</summary>
public sealed record Accepted(double Lat, double Lon, string Utc, double? Heading, PictureKind Kind, string? Make = null, string? Model = null);

/// <summary>
/// Every uploadable file of shared/data is sent through the API, and its exact outcome is checked: accepted with the
/// right position, time, heading, type and camera (a picture waiting for processing, its raw file stored, a job
/// queued), or rejected with the right reason and nothing stored.
/// </summary>
public sealed class UploadOutcomeTests(AnonymousUploadInstance instance) : IClassFixture<AnonymousUploadInstance>
{
    private static readonly Dictionary<string, Accepted> AcceptedFiles = new()
    {
        ["a-exif-samples-arezzo/DSCN0010.jpg"] = new(43.467448, 11.885127, "2008-10-22T16:28:39Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0012.jpg"] = new(43.467157, 11.885395, "2008-10-22T16:29:49Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0021.jpg"] = new(43.467082, 11.884538, "2008-10-22T16:38:20Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0025.jpg"] = new(43.468365, 11.881635, "2008-10-22T16:43:21Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0027.jpg"] = new(43.468442, 11.881515, "2008-10-22T16:44:01Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0029.jpg"] = new(43.468243, 11.880172, "2008-10-22T16:46:53Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0038.jpg"] = new(43.467255, 11.879213, "2008-10-22T16:52:15Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0040.jpg"] = new(43.466012, 11.879112, "2008-10-22T16:55:37Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["a-exif-samples-arezzo/DSCN0042.jpg"] = new(43.464455, 11.881478, "2008-10-22T17:00:07Z", null, PictureKind.Flat, "NIKON", "COOLPIX P6000"),
        ["b-mapillary-tools/DSC00001.JPG"] = new(45.516903, -122.572765, "2018-06-08T20:24:10Z", null, PictureKind.Flat, "SONY", "HDR-AS300"),
        ["b-mapillary-tools/adobe_coords.jpg"] = new(-0.070267, 34.381935, "2019-07-16T10:26:11Z", 176.3, PictureKind.Equirectangular),
        ["b-mapillary-tools/corrupt_exif.jpg"] = new(48.081045, -1.667841, "2016-07-07T21:42:20.68367Z", 148.0, PictureKind.Flat),
        ["b-mapillary-tools/corrupt_exif_2.jpg"] = new(48.081045, -1.667841, "2016-08-31T08:29:26.68367Z", 148.0, PictureKind.Flat),
        ["b-mapillary-tools/fixed_exif.jpg"] = new(48.081045, -1.667841, "2016-07-07T21:42:20.68367Z", 148.0, PictureKind.Flat),
        ["b-mapillary-tools/test_exif.jpg"] = new(35.912517, 14.498806, "2018-06-26T17:46:33.847Z", 1.0, PictureKind.Flat),
        ["c-immich-formats/thompson-springs.jpg"] = new(39.115, -108.400968, "2022-01-10T21:15:44.31Z", 206.0, PictureKind.Flat),
        ["c-immich-formats/datetimeoriginal-gps.jpg"] = new(39.0, -108.0, "2025-12-01T11:30:00Z", null, PictureKind.Flat),
        ["c-immich-formats/gps-datetime.jpg"] = new(37.7749, -122.4194, "2023-11-15T12:30:00Z", null, PictureKind.Flat),
        ["f-360-gopro-max/GSAG2002.JPG"] = new(52.443412, 6.889934, "2020-05-09T12:16:30Z", null, PictureKind.Equirectangular, "GoPro", "GoPro Max"),
        ["g-sgblur-fixture/flat_urban_with_face_and_sign_small.jpg"] = new(48.849209, 2.416134, "2023-11-02T14:18:38.352954Z", 160.5, PictureKind.Flat),
    };

    /// <summary>Rejected files: reason and, for invalid_metadata, the missing fields.</summary>
    private static readonly Dictionary<string, (string Reason, string[] Missing)> RejectedFiles = new()
    {
        ["a-exif-samples-arezzo/landscape_6.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["a-exif-samples-arezzo/portrait_8.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["a-exif-samples-arezzo/no_exif.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["b-mapillary-tools/empty_exif.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["b-mapillary-tools/corrupt_exif_large_thumbnail.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["b-mapillary-tools/corrupt_exif_wrong_type.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["b-mapillary-tools/corrupt_exif_trusted_wrong_type.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["c-immich-formats/time-created.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["c-immich-formats/portrait.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["c-immich-formats/portrait-orientation-6.jpg"] = ("invalid_metadata", ["location", "datetime"]),
        ["c-immich-formats/empty_gps.jpg"] = ("invalid_metadata", ["location"]),
        ["c-immich-formats/el_torcal_rocks.jpg"] = ("invalid_metadata", ["location"]),
        ["c-immich-formats/date-priority-test.jpg"] = ("invalid_metadata", ["location"]),
        ["c-immich-formats/IMG_2682.heic"] = ("invalid_file", []),
        ["c-immich-formats/density_plot.png"] = ("invalid_file", []),
        ["c-immich-formats/denali.webp"] = ("invalid_file", []),
        ["c-immich-formats/8bit-sRGB.avif"] = ("invalid_file", []),
        ["h-bad-files/empty.jpg"] = ("invalid_file", []),
        ["h-bad-files/text_renamed.jpg"] = ("invalid_file", []),
        ["h-bad-files/DSCN0010_truncated_50pct.jpg"] = ("invalid_file", []),
    };

    public static TheoryData<string> AcceptedNames => [.. AcceptedFiles.Keys];
    public static TheoryData<string> RejectedNames => [.. RejectedFiles.Keys];

    private static readonly SemaphoreSlim SetLock = new(1, 1);
    private static Guid? _set;

    /// <summary>One set for the whole table: the files are all different, so none is a duplicate of another.</summary>
    private async Task<Guid> SetAsync()
    {
        await SetLock.WaitAsync();
        try
        {
            return _set ??= (await instance.CreateSetAsync("Every shared file")).Id();
        }
        finally
        {
            SetLock.Release();
        }
    }

    [Fact]
    public void Every_picture_file_of_the_shared_data_has_an_expected_outcome()
    {
        // The files the manifest describes are those of its checksum list (other files may appear in shared/data).
        var files = File.ReadAllLines(TestPaths.SharedData("SHA256SUMS"))
            .Where(l => l.Length > 66)
            .Select(l => l[66..].Trim())
            .Where(f => !f.EndsWith(".gpx", StringComparison.Ordinal) && !f.EndsWith(".txt", StringComparison.Ordinal) && !f.EndsWith(".xml", StringComparison.Ordinal))
            // Blur fixtures (no GPS, no date): the manifest keeps them out of upload tests; see the test below.
            .Where(f => !f.StartsWith("d-plates-eu/", StringComparison.Ordinal) && !f.StartsWith("e-faces-dlib/", StringComparison.Ordinal))
            .ToList();
        Assert.DoesNotContain(files, f => !AcceptedFiles.ContainsKey(f) && !RejectedFiles.ContainsKey(f));
    }

    [Theory]
    [MemberData(nameof(AcceptedNames))]
    public async Task Geotagged_jpeg_is_accepted_with_its_position_time_heading_type_and_camera(string file)
    {
        var expected = AcceptedFiles[file];
        var set = await SetAsync();
        var bytes = await File.ReadAllBytesAsync(TestPaths.SharedData(file));
        var (status, body) = await instance.UploadAsync(set, file);
        Assert.True(status == 202, $"{file}: {status} {body}");
        Assert.Equal(Path.GetFileName(file), body.GetProperty("file_name").GetString());
#pragma warning disable CA5351 // the API's checksum, not security
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), body.GetProperty("content_md5").GetString());
#pragma warning restore CA5351
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), body.GetProperty("content_sha256").GetString());
        Assert.Equal(bytes.Length, body.GetProperty("size").GetInt64());
        Assert.Equal("picture", body.GetProperty("file_type").GetString());
        var pictureId = body.GetProperty("picture_id").GetGuid();

        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var p = await db.Pictures.SingleAsync(x => x.Id == pictureId);
            Assert.Equal(expected.Lat, p.Location.Y, 0.000001);
            Assert.Equal(expected.Lon, p.Location.X, 0.000001);
            Assert.Equal(DateTimeOffset.Parse(expected.Utc, CultureInfo.InvariantCulture), p.CapturedAt);
            if (expected.Heading is { } heading)
            {
                Assert.Equal(heading, p.Heading!.Value, 0.05);
                Assert.True(p.HeadingFromUser);
            }
            else
            {
                Assert.Null(p.Heading);
            }
            Assert.Equal(expected.Kind, p.Kind);
            if (expected.Make is not null)
            {
                Assert.Equal(expected.Make, p.CameraMake);
                Assert.Equal(expected.Model, p.CameraModel);
            }
            Assert.Equal(PictureStatus.WaitingForProcess, p.Status);
            Assert.Null(p.SequenceId);
            Assert.Equal(set, p.UploadSetId);
            Assert.False(p.Blurred);
            Assert.Equal(SHA256.HashData(bytes), p.ContentSha256);
            Assert.Null(p.HdKey);

            var row = await db.UploadSetFiles.SingleAsync(f => f.PictureId == pictureId);
            Assert.Null(row.RejectionReason);
            Assert.Equal(StorageKeys.Upload(set, row.Id), p.OriginalKey);
            Assert.Equal(1, await db.Jobs.CountAsync(j => j.Kind == "process_picture" && j.TargetId == pictureId));
        }
        var store = instance.Services.GetRequiredService<IBlobStore>();
        await using var stored = await store.OpenReadAsync(StorageKeys.Upload(set, (await FileRowAsync(pictureId)).Id), 0, null, default);
        using var copy = new MemoryStream();
        await stored!.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    private async Task<UploadSetFile> FileRowAsync(Guid pictureId)
    {
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            return await db.UploadSetFiles.SingleAsync(f => f.PictureId == pictureId);
        }
    }

    [Theory]
    [MemberData(nameof(RejectedNames))]
    public async Task Unusable_file_is_rejected_with_a_tracked_reason_and_nothing_stored(string file)
    {
        var (reason, missing) = RejectedFiles[file];
        var set = await SetAsync();
        var (status, body) = await instance.UploadAsync(set, file);
        Assert.True(status == 400, $"{file}: {status} {body}");
        Assert.Equal(400, body.GetProperty("status_code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
        Assert.True(body.TryGetProperty("details", out var details), body.ToString());
        Assert.Equal(reason, body.GetProperty("rejected").GetProperty("reason").GetString());
        Assert.False(string.IsNullOrWhiteSpace(details.GetProperty("error").GetString()));
        if (missing.Length > 0)
        {
            Assert.Equal(missing, details.GetProperty("missing_fields").EnumerateArray().Select(e => e.GetString()).ToArray());
        }

        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var row = await db.UploadSetFiles.SingleAsync(f => f.UploadSetId == set && f.FileName == Path.GetFileName(file));
            Assert.Equal(reason, row.RejectionReason!.Value.ToApiName());
            Assert.Null(row.PictureId);
            Assert.False(await db.Pictures.AnyAsync(p => p.UploadSetId == set && p.OriginalFileName == Path.GetFileName(file)));
        }
        var files = await instance.GetJsonAsync($"/api/upload_sets/{set}/files");
        var listed = files.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("file_name").GetString() == Path.GetFileName(file));
        Assert.Equal(reason, listed.GetProperty("rejected").GetProperty("reason").GetString());
        Assert.Equal("error", listed.GetProperty("rejected").GetProperty("severity").GetString());
        Assert.False(listed.TryGetProperty("picture_id", out _));
    }

    [Fact]
    public async Task Blur_fixtures_are_rejected_for_missing_location_except_the_one_with_gps()
    {
        var set = (await instance.CreateSetAsync("Blur fixtures")).Id();
        foreach (var folder in new[] { "d-plates-eu", "e-faces-dlib" })
        {
            foreach (var path in File.ReadAllLines(TestPaths.SharedData("SHA256SUMS")).Select(l => l[66..].Trim()).Where(f => f.StartsWith(folder + "/", StringComparison.Ordinal) && f.EndsWith(".jpg", StringComparison.Ordinal)))
            {
                var (status, body) = await instance.UploadAsync(set, path);
                // The manifest says these have no GPS, but eu8.jpg carries an iPhone's GPS position and date.
                if (path == "d-plates-eu/eu8.jpg")
                {
                    Assert.True(status == 202, $"{path}: {status} {body}");
                    continue;
                }
                Assert.True(status == 400, $"{path}: {status} {body}");
                Assert.Contains("location", body.GetProperty("details").GetProperty("missing_fields").EnumerateArray().Select(e => e.GetString()));
            }
        }
    }
}
