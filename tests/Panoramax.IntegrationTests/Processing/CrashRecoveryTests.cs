using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Jobs;
using Panoramax.Imaging;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Storage.FileSystem;

namespace Panoramax.IntegrationTests.Processing;

/// <summary>
/// The real server program processing a 50-picture upload (real blurring) is killed with SIGKILL mid-batch, then
/// started again: every picture must end ready, published once, with no file left over anywhere.
/// </summary>
public sealed class CrashRecoveryTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Pictures = 50;
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-crash-{Guid.NewGuid():N}");
    private string _connectionString = "";

    private string DataDir => Path.Combine(_workDir, "var");
    private string TempDir => Path.Combine(_workDir, "tmp");

    public async Task InitializeAsync()
    {
        _connectionString = await TestCluster.CreateDatabaseAsync("crash");
        Directory.CreateDirectory(TempDir);
    }

    public async Task DisposeAsync()
    {
        await TestCluster.DropDatabaseAsync(_connectionString);
        if (Directory.Exists(_workDir))
        {
            Directory.Delete(_workDir, recursive: true);
        }
    }

    [Fact]
    public async Task Server_killed_mid_batch_finishes_every_picture_exactly_once_after_restart()
    {
        var store = new FileSystemBlobStore(Path.Combine(DataDir, "storage"));
        string firstLog;
        int killedPid;
        Guid set;
        long processedAtKill, readyAtKill, runningAtKill;
        await using var u = new UploadWriter(_connectionString, store);
        Task<long> ProcessedAsync() => u.ScalarAsync("SELECT count(*) FROM pictures WHERE upload_set_id = $1 AND hd_key IS NOT NULL", set);
        using (var first = await StartServerAsync())
        {
            killedPid = first.Process.Id;
            await store.InitializeAsync(default);
            var account = await u.AccountAsync("crash-walker");
            set = await u.UploadSetAsync(account, "Crash walk");
            // 8 MP pictures (about a second each with real blurring): on an idle machine the small Arezzo files were all
            // processed, and published together at dispatch, before the test could kill anything.
            var sources = new[] { TestPaths.SharedData("b-mapillary-tools", "DSC00001.JPG") };
            var start = new DateTimeOffset(2024, 6, 1, 9, 0, 0, TimeSpan.Zero);
            for (var i = 0; i < Pictures; i++)
            {
                // One straight walk northwards, a picture every 5 m and 2 s: one sequence, no duplicates.
                await u.AddFileAsync(set, sources[i % sources.Length], fileName: $"IMG_{i:D4}.jpg", overrides: new PictureOverrides
                {
                    Latitude = 43.46 + (i * 5 / 111_195.0),
                    Longitude = 11.88,
                    CapturedAt = start.AddSeconds(2 * i),
                });
            }
            await u.CompleteAsync(set);
            // Files done, not "ready": pictures are published when both their files and the dispatch are done, so when the
            // dispatch job runs after the processing (one job slot), they all turn ready at once, at the very end.
            await UploadWriter.WaitUntilAsync(async () => await ProcessedAsync() >= 3, TimeSpan.FromMinutes(3), "a few pictures processed before the kill");
            await first.KillHardAsync();
            firstLog = first.Log;
            processedAtKill = await ProcessedAsync();
            readyAtKill = await u.CountAsync(set, "ready");
            runningAtKill = await u.ScalarAsync("SELECT count(*) FROM jobs WHERE state = 'running'");
        }
        Assert.True(processedAtKill < Pictures, $"the kill came too late to test anything ({processedAtKill} processed, {readyAtKill} ready)");
        output.WriteLine($"SIGKILL with {processedAtKill}/{Pictures} processed, {readyAtKill} ready and {runningAtKill} jobs running");

        using (var second = await StartServerAsync())
        {
            await UploadWriter.WaitUntilAsync(async () => await u.CountAsync(set, "ready") == Pictures, TimeSpan.FromMinutes(5),
                $"all {Pictures} ready after restart ({readyAtKill} were at the kill, {runningAtKill} jobs running); log: {second.Log}");
            await UploadWriter.WaitUntilAsync(async () => await u.ScalarAsync("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')") == 0,
                TimeSpan.FromSeconds(30), $"every job closed after the last picture turned ready; log: {second.Log}");
            // Published exactly once each, in one sequence with ranks 1..50.
            await using var db = u.NewDb();
            var ids = await db.Pictures.Where(p => p.UploadSetId == set).Select(p => p.Id).ToListAsync();
            var upserts = await db.ChangeLog.AsNoTracking()
                .Where(e => e.EntityKind == EntityKind.Picture && ids.Contains(e.EntityId)).Select(e => new { e.EntityId, e.Op }).ToListAsync();
            Assert.Equal(Pictures, upserts.Count);
            Assert.Equal(Pictures, upserts.Select(e => e.EntityId).Distinct().Count());
            Assert.All(upserts, e => Assert.Equal(ChangeOp.Upsert, e.Op));
            var sequence = await db.Sequences.AsNoTracking().SingleAsync(s => s.UploadSetId == set);
            Assert.Equal(Pictures, sequence.PictureCount);
            Assert.Equal(Enumerable.Range(1, Pictures), await db.Pictures.Where(p => p.UploadSetId == set).OrderBy(p => p.Rank).Select(p => p.Rank).ToListAsync());
            Assert.All(await db.Jobs.AsNoTracking().ToListAsync(), j => Assert.Equal(JobState.Succeeded, j.State));

            // No orphan: uploads gone, exactly hd + sd + thumb per picture, nothing else; no temp folder of the killed process.
            var keys = new List<string>();
            await foreach (var k in store.ListAsync("", default))
            {
                keys.Add(k);
            }
            var expected = ids.SelectMany(id => new[] { Domain.Abstractions.StorageKeys.Hd(id), Domain.Abstractions.StorageKeys.Sd(id), Domain.Abstractions.StorageKeys.Thumb(id) });
            Assert.Equal(expected.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
            Assert.Empty(Directory.GetDirectories(TempDir, $"panoramax-job-{killedPid}-*"));
            await second.StopAsync();
        }
        Assert.Contains("Job worker", firstLog, StringComparison.Ordinal);
    }

    private Task<ServerProcess> StartServerAsync() => ServerProcess.StartAsync(_workDir, new Dictionary<string, string>
    {
        ["TMPDIR"] = TempDir,
        ["ConnectionStrings__Panoramax"] = _connectionString,
        ["Panoramax__DataDirectory"] = DataDir,
        ["Panoramax__Admin__InitialPassword"] = TestInstance.AdminPassword,
        ["Panoramax__Blurring__ModelDirectory"] = Path.Combine(TestPaths.Shared, "models"),
        ["Panoramax__Jobs__LeaseDuration"] = "00:00:05",
        ["Panoramax__Jobs__PollInterval"] = "00:00:00.500",
        ["Panoramax__Jobs__Concurrency"] = "2",
    });
}
