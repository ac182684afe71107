using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;
using static Panoramax.IntegrationTests.Manage.ManageFixture;

namespace Panoramax.IntegrationTests.Blur;

public sealed class BlurCorrectionTests(BlurCorrectionInstance f) : IClassFixture<BlurCorrectionInstance>
{
    /// <summary>A region of the street picture full of detail: the house, hedge and pole on the left (full-resolution pixels).</summary>
    private static readonly (int X1, int Y1, int X2, int Y2) Region = (880, 1280, 1480, 1580);

    /// <summary><see cref="Region"/> grown by the safety margin (15 % of its size on each side) and 8 px more.</summary>
    private static (int, int, int, int) Grown((int X1, int Y1, int X2, int Y2) r)
    {
        var dx = (int)Math.Ceiling((r.X2 - r.X1) * 0.15) + 8;
        var dy = (int)Math.Ceiling((r.Y2 - r.Y1) * 0.15) + 8;
        return (r.X1 - dx, r.Y1 - dy, r.X2 + dx, r.Y2 + dy);
    }

    /// <summary>Detail left inside a hidden region, as a fraction of what was there.</summary>
    private const double MaxDetailLeft = 0.2;

    private static string Route(Guid sequence, Guid picture) => $"/api/collections/{sequence}/items/{picture}/blur_regions";

    private static object Body((int X1, int Y1, int X2, int Y2) r, Guid? reportId = null, string? comment = null) =>
        new { regions = new[] { new[] { r.X1, r.Y1, r.X2, r.Y2 } }, report_id = reportId, comment };

    private static (int, int, int, int) Scaled((int X1, int Y1, int X2, int Y2) r, double scale, double dx, int inset) =>
        ((int)Math.Ceiling((r.X1 * scale) - dx) + inset, (int)Math.Ceiling(r.Y1 * scale) + inset,
         (int)Math.Floor((r.X2 * scale) - dx) - inset, (int)Math.Floor(r.Y2 * scale) - inset);

    [Fact]
    public async Task Owner_correction_blurs_the_region_in_hd_sd_and_thumb_and_republishes_with_new_etags_and_a_change_log_entry()
    {
        var (seq, pic) = await f.PublishAsync(BlurCorrectionInstance.Street);
        var before = new Dictionary<string, (HttpStatusCode Status, string? ETag, byte[] Body)>();
        foreach (var file in new[] { "hd.jpg", "sd.jpg", "thumb.jpg" })
        {
            before[file] = await BlurCorrectionInstance.FileAsync(f.Http, pic, file);
            Assert.Equal(HttpStatusCode.OK, before[file].Status);
        }
        var version = await f.VersionAsync(pic);
        var logBefore = (await f.ChangeLogOpsAsync(pic)).Count;

        using var response = await f.Owner.PostAsJsonAsync(Route(seq, pic), Body(Region));
        var accepted = await OkJsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("preparing", accepted.GetProperty("status").GetString());
        var region = Assert.Single(accepted.GetProperty("blur_regions").EnumerateArray());
        Assert.Equal(new[] { Region.X1, Region.Y1, Region.X2, Region.Y2 }, region.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));

        await f.WaitReadyAsync(pic);
        var after = new Dictionary<string, (HttpStatusCode Status, string? ETag, byte[] Body)>();
        foreach (var file in before.Keys)
        {
            after[file] = await BlurCorrectionInstance.FileAsync(f.Http, pic, file);
            Assert.Equal(HttpStatusCode.OK, after[file].Status);
            Assert.NotEqual(before[file].ETag, after[file].ETag);
        }

        // HD: the region (inset by 2 px) lost its detail; elsewhere only re-encoding noise.
        var (w, h) = RegionMeasure.Size(after["hd.jpg"].Body);
        Assert.Equal((3840, 2160), (w, h));
        AssertHidden("hd.jpg", before, after, Scaled(Region, 1, 0, 2));
        var outside = RegionMeasure.MeanChangeOutside(before["hd.jpg"].Body, after["hd.jpg"].Body, Grown(Region));
        Assert.True(outside < 2.0, $"mean grey change outside the region: {outside:F2}");
        // SD is 2048 px wide; the thumbnail is the SD scaled to cover 500×300 (533×300 here) and centre-cropped.
        Assert.Equal((2048, 1152), RegionMeasure.Size(after["sd.jpg"].Body));
        AssertHidden("sd.jpg", before, after, Scaled(Region, 2048.0 / 3840, 0, 4));
        var thumbScale = 300.0 / 2160;
        var cropLeft = ((int)Math.Round(3840 * thumbScale) - 500) / 2;
        AssertHidden("thumb.jpg", before, after, Scaled(Region, thumbScale, cropLeft, 3));

        // Published again, one version and two change-log entries later (hidden while corrected, then back).
        Assert.True(await f.VersionAsync(pic) > version);
        var log = await f.ChangeLogOpsAsync(pic);
        Assert.Equal(["tombstone", "upsert"], log.Skip(logBefore));
        var item = await f.GetJsonAsync($"/api/collections/{seq}/items/{pic}");
        Assert.Equal(pic.ToString(), item.GetProperty("id").GetString());
        var listed = await ManageJsonAsync(f.Owner, Route(seq, pic));
        Assert.Equal("ready", listed.GetProperty("status").GetString());
        Assert.Single(listed.GetProperty("blur_regions").EnumerateArray());
    }

    [Fact]
    public async Task Panorama_correction_rewrites_the_tiles_with_the_region_hidden()
    {
        // 5760×2880: 8×4 tiles of 720 px; the region (tree foliage) lies inside tile 3_1.
        var (seq, pic) = await f.PublishAsync(TestPaths.SharedData("f-360-gopro-max", "GSAG2002.JPG"));
        var before = await BlurCorrectionInstance.FileAsync(f.Http, pic, "tiled/3_1.jpg");
        Assert.Equal(HttpStatusCode.OK, before.Status);

        using (var r = await f.Owner.PostAsJsonAsync(Route(seq, pic), Body((2300, 850, 2700, 1250))))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }
        await f.WaitReadyAsync(pic);

        var after = await BlurCorrectionInstance.FileAsync(f.Http, pic, "tiled/3_1.jpg");
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.NotEqual(before.ETag, after.ETag);
        var inTile = (2300 - 2160 + 2, 850 - 720 + 2, 2700 - 2160 - 2, 1250 - 720 - 2);
        var detailBefore = RegionMeasure.Detail(before.Body, inTile);
        var detailAfter = RegionMeasure.Detail(after.Body, inTile);
        Assert.True(detailAfter < MaxDetailLeft * detailBefore, $"tile 3_1: detail {detailAfter:F2} after vs {detailBefore:F2} before");
    }

    private static void AssertHidden(string file, Dictionary<string, (HttpStatusCode, string?, byte[] Body)> before,
        Dictionary<string, (HttpStatusCode, string?, byte[] Body)> after, (int, int, int, int) box)
    {
        var detailBefore = RegionMeasure.Detail(before[file].Body, box);
        var detailAfter = RegionMeasure.Detail(after[file].Body, box);
        Assert.True(detailAfter < MaxDetailLeft * detailBefore, $"{file} {box}: detail {detailAfter:F2} after vs {detailBefore:F2} before");
        var varianceBefore = RegionMeasure.Variance(before[file].Body, box);
        var varianceAfter = RegionMeasure.Variance(after[file].Body, box);
        Assert.True(varianceAfter < varianceBefore, $"{file} {box}: variance {varianceAfter:F1} after vs {varianceBefore:F1} before");
    }

    [Fact]
    public async Task Uncorrected_files_are_not_served_while_the_correction_is_pending()
    {
        var (seq, pic) = await f.PublishAsync(BlurCorrectionInstance.Street);
        await f.HoldCorrectionJobAsync(pic);

        using (var response = await f.Owner.PostAsJsonAsync(Route(seq, pic), Body(Region)))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // Nobody but the owner and admins gets the files, the item or the picture in search until the job is done.
        foreach (var client in new[] { f.Http, f.Other })
        {
            foreach (var file in new[] { "hd.jpg", "sd.jpg", "thumb.jpg" })
            {
                using var r = await client.GetAsync($"/api/pictures/{pic}/{file}");
                var error = await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
                Assert.Contains("blurred", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            }
            await JsonAsync(client, $"/api/collections/{seq}/items/{pic}", HttpStatusCode.NotFound);
            var found = await JsonAsync(client, $"/api/search?ids={pic}");
            Assert.Equal(0, found.GetProperty("features").GetArrayLength());
        }
        // The HD is no longer recorded: nothing may publish the picture with it.
        using (var r = await f.Owner.GetAsync($"/api/pictures/{pic}/hd.jpg"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.NotFound);
        }
        // A second correction waits for the first one.
        using (var r = await f.Owner.PostAsJsonAsync(Route(seq, pic), Body((10, 10, 50, 50))))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Conflict);
        }

        await f.ReleaseCorrectionJobAsync(pic);
        await f.WaitReadyAsync(pic);
        var (status, _, _) = await BlurCorrectionInstance.FileAsync(f.Http, pic, "hd.jpg");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Only_the_owner_or_a_moderator_may_correct_a_picture()
    {
        var (seq, pic) = await f.PublishAsync(BlurCorrectionInstance.Street);

        using (var r = await f.Http.PostAsJsonAsync(Route(seq, pic), Body(Region)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using (var r = await f.Other.PostAsJsonAsync(Route(seq, pic), Body(Region)))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await f.Other.GetAsync(Route(seq, pic)))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await f.Owner.PostAsJsonAsync(Route(seq, Guid.NewGuid()), Body(Region)))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.NotFound);
        }
        Assert.Equal("ready", await f.StatusAsync(pic));

        // A moderator's correction (not answering a report) is recorded in the moderation log.
        using (var r = await f.Admin.PostAsJsonAsync(Route(seq, pic), Body(Region, comment: "Face in the window")))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }
        var log = await ManageJsonAsync(f.Admin, $"/api/moderation/actions?picture_id={pic}");
        var action = Assert.Single(log.GetProperty("actions").EnumerateArray());
        Assert.Equal("blur-correction", action.GetProperty("kind").GetString());
        Assert.Equal("Face in the window", action.GetProperty("reason").GetString());
        await f.WaitReadyAsync(pic);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{}""", "regions is required" },
        { """{"regions": []}""", "1 to 50" },
        { """{"regions": [[1, 2, 3]]}""", "four numbers" },
        { """{"regions": [["a", 2, 3, 4]]}""", "four numbers" },
        { """{"regions": [{"x1": 1}]}""", "four numbers" },
        { """{"regions": [[100, 100, 50, 200]]}""", "positive size" },
        { """{"regions": [[100, 100, 200, 100]]}""", "positive size" },
        { """{"regions": [[-5, 100, 200, 300]]}""", "outside the picture" },
        { """{"regions": [[3000, 100, 3841, 300]]}""", "3840×2160" },
        { """{"regions": [[10, 2000, 300, 2400]]}""", "3840×2160" },
        { """{"regions": [[10, 10, 20, 20]], "colour": "red"}""", "Unknown field" },
        { """{"regions": [[10, 10, 20, 20]], "report_id": "nope"}""", "report_id" },
        { "{\"regions\": [" + string.Join(",", Enumerable.Repeat("[1, 1, 2, 2]", 51)) + "]}", "1 to 50" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_regions_are_refused_with_a_message(string body, string expected)
    {
        var (seq, pic) = await BadBodyTargetAsync();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var r = await f.Owner.PostAsync(Route(seq, pic), content);
        var error = await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("ready", await f.StatusAsync(pic));
    }

    [Fact]
    public async Task A_correction_must_be_json()
    {
        var (seq, pic) = await BadBodyTargetAsync();
        using var form = new FormUrlEncodedContent([new("regions", "[[1,1,2,2]]")]);
        using var r = await f.Owner.PostAsync(Route(seq, pic), form);
        await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.UnsupportedMediaType);
    }

    private static readonly SemaphoreSlim BadBodyLock = new(1, 1);
    private static (Guid, Guid)? _badBodyTarget;

    /// <summary>One published picture shared by the refusal tests (they never change it).</summary>
    private async Task<(Guid Sequence, Guid Picture)> BadBodyTargetAsync()
    {
        await BadBodyLock.WaitAsync();
        try
        {
            return _badBodyTarget ??= await f.PublishAsync(BlurCorrectionInstance.Street);
        }
        finally
        {
            BadBodyLock.Release();
        }
    }

    [Fact]
    public async Task Blur_missing_report_links_to_the_correction_and_a_moderator_correction_resolves_it_with_an_audit_row()
    {
        var (seq, pic) = await f.PublishAsync(BlurCorrectionInstance.Street);
        var filed = await OkJsonAsync(await f.Http.PostAsJsonAsync("/api/reports", new { issue = "blur_missing", picture_id = pic, reporter_comments = "a face near the door" }));
        var reportId = Guid.Parse(filed.GetProperty("id").GetString()!);

        var report = await ManageJsonAsync(f.Admin, $"/api/reports/{reportId}");
        var link = Assert.Single(JsonAssert.Links(report, "blur-correction"));
        Assert.Equal("POST", link.GetProperty("method").GetString());
        var href = new Uri(link.GetProperty("href").GetString()!);
        Assert.Equal(Route(seq, pic), href.AbsolutePath);
        // Other issues have no such link.
        var other = await OkJsonAsync(await f.Http.PostAsJsonAsync("/api/reports", new { issue = "mislocated", picture_id = pic }));
        var otherReport = await ManageJsonAsync(f.Admin, $"/api/reports/{other.GetProperty("id").GetString()}");
        Assert.Empty(JsonAssert.Links(otherReport, "blur-correction"));
        // A report about another picture cannot be closed by a correction of this one.
        var (seq2, pic2) = await f.PublishAsync(BlurCorrectionInstance.Street);
        using (var r = await f.Admin.PostAsJsonAsync(Route(seq2, pic2), Body(Region, reportId)))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        Assert.Equal("ready", await f.StatusAsync(pic2));

        using (var r = await f.Admin.PostAsJsonAsync(href.AbsolutePath, Body((2500, 300, 2700, 500), reportId, "Blurred the face by the door")))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }
        var closed = await ManageJsonAsync(f.Admin, $"/api/reports/{reportId}");
        Assert.Equal("closed_solved", closed.GetProperty("status").GetString());
        Assert.Equal("Blurred the face by the door", closed.GetProperty("resolver_comments").GetString());
        Assert.True(closed.TryGetProperty("resolver_account_id", out _));
        var log = await ManageJsonAsync(f.Admin, $"/api/moderation/actions?picture_id={pic}");
        var audit = log.GetProperty("actions").EnumerateArray().First(a => a.TryGetProperty("report_id", out var id) && id.GetString() == reportId.ToString());
        Assert.Equal("blur-correction", audit.GetProperty("kind").GetString());

        await f.WaitReadyAsync(pic);
        var regions = await ManageJsonAsync(f.Owner, Route(seq, pic));
        var kept = Assert.Single(regions.GetProperty("blur_regions").EnumerateArray());
        Assert.Equal(reportId.ToString(), kept.GetProperty("report_id").GetString());
        // The owner still controls visibility afterwards: a blur correction is not a takedown.
        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq}/items/{pic}", new { visibility = "owner-only" }));
        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq}/items/{pic}", new { visibility = "anyone" }));
    }

    [Fact]
    public async Task The_correction_route_is_in_the_openapi_description()
    {
        var spec = await f.GetJsonAsync("/api/docs/specs.json");
        Assert.True(spec.GetProperty("paths").TryGetProperty("/api/collections/{collectionId}/items/{id}/blur_regions", out var path), "blur_regions route missing");
        Assert.Equal("AddBlurRegions", path.GetProperty("post").GetProperty("operationId").GetString());
        Assert.True(path.TryGetProperty("get", out _));
    }

    private static Task<JsonElement> ManageJsonAsync(HttpClient client, string path) => JsonAsync(client, path);
}

public sealed class KeptOriginalCorrectionTests(KeptOriginalCorrectionInstance f) : IClassFixture<KeptOriginalCorrectionInstance>
{
    [Fact]
    public async Task With_originals_kept_a_correction_starts_again_from_the_original_which_stays_untouched_and_re_processing_keeps_the_region()
    {
        var (seq, pic) = await f.PublishAsync(BlurCorrectionInstance.Street);
        var original = await ReadAsync(StorageKeys.Original(pic));
        var hdBefore = await ReadAsync(StorageKeys.Hd(pic));
        (int X1, int Y1, int X2, int Y2) box = (880, 1280, 1480, 1580);

        using (var r = await f.Owner.PostAsJsonAsync($"/api/collections/{seq}/items/{pic}/blur_regions", new { regions = new[] { new[] { box.X1, box.Y1, box.X2, box.Y2 } } }))
        {
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        }
        await f.WaitReadyAsync(pic);

        Assert.Equal(original, await ReadAsync(StorageKeys.Original(pic)));
        var hdAfter = await ReadAsync(StorageKeys.Hd(pic));
        var inner = (box.X1 + 2, box.Y1 + 2, box.X2 - 2, box.Y2 - 2);
        Assert.True(RegionMeasure.Detail(hdAfter, inner) < 0.2 * RegionMeasure.Detail(original, inner), "region not blurred");
        // Made from the original again (same detections, one JPEG generation), not by re-encoding the published HD.
        var dx = 98;
        var dy = 53;
        var outside = RegionMeasure.MeanChangeOutside(hdBefore, hdAfter, (box.X1 - dx, box.Y1 - dy, box.X2 + dx, box.Y2 + dy));
        Assert.True(outside < 0.5, $"mean grey change outside the region: {outside:F2}");

        // Processing the picture again from its original (as an admin's re-process would) keeps the region hidden.
        await using (var cmd = f.Uploads.DataSource.CreateCommand("UPDATE pictures SET status = 'waiting-for-process', hd_key = NULL WHERE id = $1"))
        {
            cmd.Parameters.Add(new() { Value = pic });
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var db = f.Uploads.NewDb())
        {
            await Persistence.Jobs.JobQueue.EnqueueAsync(db, Domain.Jobs.JobKinds.ProcessPicture, pic, TimeProvider.System, default);
        }
        await f.WaitReadyAsync(pic);
        var reprocessed = await ReadAsync(StorageKeys.Hd(pic));
        Assert.True(RegionMeasure.Detail(reprocessed, inner) < 0.2 * RegionMeasure.Detail(original, inner), "region came back after re-processing");
    }

    private async Task<byte[]> ReadAsync(string key)
    {
        await using var stream = await f.Store.OpenReadAsync(key, 0, null, default) ?? throw new FileNotFoundException(key);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
