using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.UploadSets;
using Panoramax.Imaging;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Processing;

public sealed class ProcessingTests(NoBlurInstance instance) : IClassFixture<NoBlurInstance>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private static readonly string[] Arezzo = ["DSCN0010", "DSCN0012", "DSCN0021", "DSCN0025", "DSCN0027", "DSCN0029", "DSCN0038", "DSCN0040", "DSCN0042"];

    private static string ArezzoFile(string name) => TestPaths.SharedData("a-exif-samples-arezzo", name + ".jpg");

    [Fact]
    public async Task Completed_upload_set_is_split_into_sequences_of_ready_pictures_with_every_derivative()
    {
        var u = instance.Uploads;
        var account = await u.AccountAsync("walker");
        // Gaps of the walk (MANIFEST): 510 s before 0021, 274 m before 0025, 258 m before 0042; others below 400 s / 200 m.
        var set = await u.UploadSetAsync(account, "Arezzo", s => { s.SplitTimeSeconds = 400; s.SplitDistanceM = 200; });
        var ids = new Dictionary<string, Guid>();
        foreach (var name in Arezzo.Reverse())
        {
            ids[name] = await u.AddFileAsync(set, ArezzoFile(name));
        }
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == 9 && await u.UnfinishedJobsAsync([.. ids.Values, set]) == 0, Timeout,
            "9 pictures ready and their jobs closed");

        await using var db = u.NewDb();
        var sequences = await db.Sequences.AsNoTracking().Where(s => s.UploadSetId == set).OrderBy(s => s.Title).ToListAsync();
        Assert.Equal(["Arezzo-1", "Arezzo-2", "Arezzo-3", "Arezzo-4"], sequences.Select(s => s.Title));
        var pictures = await db.Pictures.AsNoTracking().Where(p => p.UploadSetId == set).ToListAsync();
        string[][] expected = [["DSCN0010", "DSCN0012"], ["DSCN0021"], ["DSCN0025", "DSCN0027", "DSCN0029", "DSCN0038", "DSCN0040"], ["DSCN0042"]];
        for (var i = 0; i < 4; i++)
        {
            var inSequence = pictures.Where(p => p.SequenceId == sequences[i].Id).OrderBy(p => p.Rank).ToList();
            Assert.Equal(expected[i], inSequence.Select(p => Path.GetFileNameWithoutExtension(p.OriginalFileName)));
            Assert.Equal(Enumerable.Range(1, inSequence.Count), inSequence.Select(p => p.Rank));
            Assert.Equal(Domain.Sequences.SequenceStatus.Ready, sequences[i].Status);
            Assert.Equal(inSequence.Count, sequences[i].PictureCount);
            Assert.Equal("+gpsdate", sequences[i].SortedBy);
            // The files have no GPSImgDirection: headings come from the track when there is one.
            Assert.All(inSequence, p => Assert.Equal(inSequence.Count > 1, p.Heading is not null));
            Assert.All(inSequence, p => Assert.False(p.HeadingFromUser));
        }
        foreach (var p in pictures)
        {
            Assert.Equal(PictureStatus.Ready, p.Status);
            Assert.NotNull(p.ProcessedAt);
            Assert.Equal(BlurSource.DisabledByAdmin, p.BlurSource);
            Assert.False(p.Blurred);
            Assert.Null(p.OriginalKey);
            Assert.Null(p.ProcessError);
            Assert.Equal(StorageKeys.Hd(p.Id), p.HdKey);
            foreach (var key in new[] { p.HdKey!, p.SdKey!, p.ThumbKey! })
            {
                Assert.NotNull(await instance.Store.GetInfoAsync(key, default));
            }
            Assert.Null(p.TilesPrefix);
        }
        // Uploads are gone once processed; every picture was logged once for federation.
        Assert.Empty(await instance.KeysAsync($"uploads/{set:D}/"));
        var upserts = await db.ChangeLog.AsNoTracking().Where(e => e.EntityKind == Domain.Federation.EntityKind.Picture && pictures.Select(p => p.Id).Contains(e.EntityId)).ToListAsync();
        Assert.Equal(9, upserts.Count);
        Assert.Equal(9, upserts.Select(e => e.EntityId).Distinct().Count());
        Assert.True(await db.UploadSets.Where(s => s.Id == set).Select(s => s.Dispatched).FirstAsync());
        Assert.All(await db.Jobs.AsNoTracking().Where(j => ids.Values.Contains(j.TargetId) || j.TargetId == set).ToListAsync(),
            j => Assert.Equal(JobState.Succeeded, j.State));

        // Published: the API lists them.
        var found = await instance.GetJsonAsync($"/api/search?limit=100&collections={string.Join(',', sequences.Select(s => s.Id))}");
        Assert.Equal(9, found.GetProperty("features").GetArrayLength());
    }

    [Fact]
    public async Task Capture_duplicate_is_rejected_with_details_and_its_files_removed()
    {
        var u = instance.Uploads;
        var account = await u.AccountAsync("duplicator");
        var set = await u.UploadSetAsync(account, "Twice");
        var first = await u.AddFileAsync(set, ArezzoFile("DSCN0010"));
        var second = await u.AddFileAsync(set, ArezzoFile("DSCN0012"));
        // Same spot as DSCN0012 (≈0.3 m away), two seconds later: the camera fired twice.
        var duplicate = await u.AddFileAsync(set, ArezzoFile("DSCN0012"), fileName: "DSCN0012-again.jpg", overrides: new PictureOverrides
        {
            Latitude = 43.467157 + 0.0000027,
            Longitude = 11.885395,
            CapturedAt = new DateTimeOffset(2008, 10, 23, 14, 28, 19, TimeSpan.Zero),
        });
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == 2, Timeout, "2 pictures ready");
        await UploadWriter.WaitUntilAsync(async () => (await instance.KeysAsync(StorageKeys.PictureFolder(duplicate))).Count == 0, Timeout, "duplicate files removed");

        await using var db = u.NewDb();
        var file = await db.UploadSetFiles.AsNoTracking().FirstAsync(f => f.PictureId == duplicate);
        Assert.Equal(RejectionReason.CaptureDuplicate, file.RejectionReason);
        using var details = JsonDocument.Parse(file.RejectionDetails!);
        Assert.Equal(second, details.RootElement.GetProperty("duplicate_of").GetGuid());
        Assert.InRange(details.RootElement.GetProperty("distance").GetDouble(), 0.1, 1.0);
        var dup = await db.Pictures.AsNoTracking().FirstAsync(p => p.Id == duplicate);
        Assert.NotNull(dup.DeletedAt);
        Assert.Null(dup.SequenceId);
        Assert.NotEqual(PictureStatus.Ready, dup.Status);
        Assert.Equal(0, await db.ChangeLog.CountAsync(e => e.EntityId == duplicate));
        Assert.Equal(2, await db.Pictures.CountAsync(p => (p.Id == first || p.Id == second) && p.Rank > 0 && p.SequenceId != null));
        Assert.Null(await instance.Store.GetInfoAsync(StorageKeys.Upload(set, file.Id), default));
    }

    [Fact]
    public async Task Panorama_gets_its_tile_pyramid()
    {
        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("sphere"), "360");
        var id = await u.AddFileAsync(set, TestPaths.SharedData("f-360-gopro-max", "GSAG2002.JPG"));
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == 1, Timeout, "panorama ready");

        await using var db = u.NewDb();
        var p = await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == id);
        Assert.Equal(PictureKind.Equirectangular, p.Kind);
        Assert.Equal((8, 4), (p.TileCols, p.TileRows));
        Assert.Equal(StorageKeys.TilesPrefix(id), p.TilesPrefix);
        var tiles = await instance.KeysAsync(StorageKeys.TilesPrefix(id));
        Assert.Equal(32, tiles.Count);
        Assert.Contains(StorageKeys.Tile(id, 7, 3), tiles);
        using var tile = await instance.Http.GetAsync($"/api/pictures/{id}/tiled/0_0.jpg");
        Assert.Equal(System.Net.HttpStatusCode.OK, tile.StatusCode);
    }

    [Fact]
    public async Task Undecodable_picture_ends_broken_with_the_reason_and_is_not_retried()
    {
        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("truncated"), "Half a picture");
        var good = await u.AddFileAsync(set, ArezzoFile("DSCN0010"));
        // The truncated file is a copy of the good one: placed 100 m and a minute away, so that a dispatch running before
        // it is found broken never takes it for a capture duplicate of the good one.
        var bad = await u.AddFileAsync(set, TestPaths.SharedData("h-bad-files", "DSCN0010_truncated_50pct.jpg"), overrides: new PictureOverrides
        {
            Latitude = 43.4685,
            Longitude = 11.8817,
            CapturedAt = new DateTimeOffset(2008, 10, 22, 16, 30, 0, TimeSpan.Zero),
        });
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "broken") == 1 && await u.CountAsync(set, "ready") == 1 && await u.UnfinishedJobsAsync(bad) == 0,
            Timeout, "one broken, one ready, the broken one's job closed");

        await using var db = u.NewDb();
        var p = await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == bad);
        Assert.Contains("could not be decoded", p.ProcessError, StringComparison.Ordinal);
        Assert.Null(p.HdKey);
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.TargetId == bad);
        Assert.Equal((JobState.Failed, 1), (job.State, job.Attempts));
        Assert.Empty(await instance.KeysAsync(StorageKeys.PictureFolder(bad)));
        Assert.Equal(PictureStatus.Ready, await db.Pictures.Where(x => x.Id == good).Select(x => x.Status).FirstAsync());
    }

    [Fact]
    public async Task A_missing_file_is_retried_with_backoff_then_the_picture_is_broken_with_the_error()
    {
        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("lost"), "Lost file");
        var id = await u.AddFileAsync(set, ArezzoFile("DSCN0021"), putFile: false);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "broken") == 1 && await u.UnfinishedJobsAsync(id) == 0, Timeout,
            "picture broken after 3 attempts and its job closed");

        await using var db = u.NewDb();
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.TargetId == id);
        Assert.Equal((JobState.Failed, 3), (job.State, job.Attempts));
        Assert.Contains("missing from storage", job.LastError, StringComparison.Ordinal);
        var p = await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == id);
        Assert.Equal(3, p.ProcessAttempts);
        Assert.Contains("attempt 3 of 3", p.ProcessError, StringComparison.Ordinal);
        // Backoff: ≥ 0.075 s then ≥ 0.15 s between the three attempts.
        Assert.True(job.FinishedAt - job.CreatedAt >= TimeSpan.FromMilliseconds(200), $"{job.FinishedAt - job.CreatedAt}");
    }
}

public sealed class RetryTests(SlowRetryInstance instance) : IClassFixture<SlowRetryInstance>
{
    [Fact]
    public async Task A_picture_whose_first_attempt_failed_is_published_by_a_later_attempt()
    {
        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("patient"), "Second try");
        var id = await u.AddFileAsync(set, TestPaths.SharedData("a-exif-samples-arezzo", "DSCN0027.jpg"), putFile: false);
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.ScalarAsync("SELECT count(*) FROM jobs WHERE target_id = $1 AND state = 'queued' AND attempts = 1", id) == 1,
            TimeSpan.FromSeconds(30), "first attempt failed and queued again");
        await using (var db = u.NewDb())
        {
            var waiting = await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == id);
            Assert.Contains("attempt 1 of 3", waiting.ProcessError, StringComparison.Ordinal);
            Assert.NotEqual(PictureStatus.Ready, waiting.Status);
        }
        // The store is back: the next attempt goes through.
        var fileId = await u.ScalarAsync("SELECT count(*) FROM upload_set_files WHERE picture_id = $1", id);
        Assert.Equal(1, fileId);
        await using (var db = u.NewDb())
        {
            var file = await db.UploadSetFiles.AsNoTracking().FirstAsync(f => f.PictureId == id);
            await using var content = File.OpenRead(TestPaths.SharedData("a-exif-samples-arezzo", "DSCN0027.jpg"));
            await instance.Store.PutAsync(StorageKeys.Upload(set, file.Id), content, "image/jpeg", default);
        }
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == 1 && await u.UnfinishedJobsAsync(id) == 0, TimeSpan.FromSeconds(60),
            "published on retry and its job closed");
        await using (var db = u.NewDb())
        {
            var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.TargetId == id);
            Assert.Equal((JobState.Succeeded, 2), (job.State, job.Attempts));
            Assert.Null((await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == id)).ProcessError);
        }
    }
}

public sealed class BlurringPipelineTests(BlurringInstance instance) : IClassFixture<BlurringInstance>
{
    [Fact]
    public async Task Picture_is_blurred_by_the_instance_and_its_original_kept_privately()
    {
        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("blurred"), "Paris");
        var source = TestPaths.SharedData("g-sgblur-fixture", "flat_urban_with_face_and_sign_small.jpg");
        var id = await u.AddFileAsync(set, source);
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == 1, TimeSpan.FromSeconds(120), "picture ready");

        await using var db = u.NewDb();
        var p = await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == id);
        Assert.True(p.Blurred);
        Assert.Equal(BlurSource.Instance, p.BlurSource);
        Assert.Equal(StorageKeys.Original(id), p.OriginalKey);
        // The kept original is the upload byte for byte; the published HD is not (re-encoded with the face blurred).
        var original = await ReadAsync(instance.Store, p.OriginalKey!);
        var hd = await ReadAsync(instance.Store, p.HdKey!);
        Assert.Equal(await File.ReadAllBytesAsync(source), original);
        Assert.NotEqual(original, hd);
        Assert.Empty(await instance.KeysAsync("uploads/"));
    }

    private static async Task<byte[]> ReadAsync(IBlobStore store, string key)
    {
        await using var s = (await store.OpenReadAsync(key, 0, null, default))!;
        using var m = new MemoryStream();
        await s.CopyToAsync(m);
        return m.ToArray();
    }
}

public sealed class MissingModelsTests(MissingModelsInstance instance) : IClassFixture<MissingModelsInstance>
{
    [Fact]
    public async Task Without_models_pictures_stay_unpublished_with_a_visible_error_and_wait_for_a_later_try()
    {
        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("unlucky"), "Not yet");
        var id = await u.AddFileAsync(set, TestPaths.SharedData("a-exif-samples-arezzo", "DSCN0040.jpg"));
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.ScalarAsync("SELECT count(*) FROM pictures WHERE id = $1 AND process_error IS NOT NULL", id) == 1
            && await u.UnfinishedJobsAsync(id) == 1 && await u.ScalarAsync("SELECT count(*) FROM jobs WHERE target_id = $1 AND state = 'running'", id) == 0,
            TimeSpan.FromSeconds(60), "process error recorded and the job back in the queue");
        await UploadWriter.WaitUntilAsync(async () => await u.ScalarAsync("SELECT count(*) FROM upload_sets WHERE id = $1 AND dispatched", set) == 1,
            TimeSpan.FromSeconds(60), "dispatched");

        await using var db = u.NewDb();
        var p = await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == id);
        Assert.Equal(PictureStatus.WaitingForProcess, p.Status);
        Assert.Contains("Blurring is unavailable", p.ProcessError, StringComparison.Ordinal);
        Assert.Null(p.HdKey);
        Assert.False(p.Blurred);
        Assert.NotNull(p.SequenceId);
        // Deferred, not failed: the attempt was given back and the next try is minutes away.
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.TargetId == id);
        Assert.Equal((JobState.Queued, 0), (job.State, job.Attempts));
        Assert.True(job.RunAfter > TimeProvider.System.GetUtcNow().AddMinutes(5));
        Assert.Empty(await instance.KeysAsync(StorageKeys.PictureFolder(id)));
        var found = await instance.GetJsonAsync($"/api/search?ids={id}");
        Assert.Equal(0, found.GetProperty("features").GetArrayLength());
        Assert.Equal(0, await db.ChangeLog.CountAsync(e => e.EntityId == id));
    }

    [Fact]
    public async Task Pictures_declared_blurred_by_the_uploader_skip_blurring_and_are_published()
    {
        var u = instance.Uploads;
        var set = await u.UploadSetAsync(await u.AccountAsync("careful"), "Already blurred");
        var id = await u.AddFileAsync(set, TestPaths.SharedData("a-exif-samples-arezzo", "DSCN0042.jpg"), isBlurred: true);
        await u.CompleteAsync(set);
        await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == 1, TimeSpan.FromSeconds(60), "published");

        await using var db = u.NewDb();
        var p = await db.Pictures.AsNoTracking().FirstAsync(x => x.Id == id);
        Assert.True(p.Blurred);
        Assert.Equal(BlurSource.DeclaredByUploader, p.BlurSource);
        var found = await instance.GetJsonAsync($"/api/search?ids={id}");
        Assert.Equal(1, found.GetProperty("features").GetArrayLength());
    }
}
