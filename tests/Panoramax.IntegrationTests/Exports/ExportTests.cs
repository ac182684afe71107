using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Jobs;
using Panoramax.Jobs.Export;
using Panoramax.Persistence.Exports;

namespace Panoramax.IntegrationTests.Exports;

/// <summary>Account export (issue 9 §4): the job, its archive, and who may read it.</summary>
public class ExportTests(ExportInstance f) : IClassFixture<ExportInstance>
{
    [Fact]
    public async Task Export_contains_every_picture_with_checksums_metadata_and_sequences()
    {
        var (id, status) = await f.AliceExportAsync();
        var expected = f.ExpectedFiles;
        Assert.Equal(expected.Count, status.GetProperty("progress").GetProperty("done").GetInt32());
        Assert.Equal(expected.Count, status.GetProperty("progress").GetProperty("total").GetInt32());

        var bytes = await f.AliceClient.GetByteArrayAsync($"/api/users/me/export/{id}/download");
        Assert.Equal(status.GetProperty("size").GetInt64(), bytes.LongLength);
        Assert.Equal(status.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));

        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var entries = zip.Entries.ToDictionary(e => e.FullName, e => Read(e));

        // Every picture once, with the right file: the kept original when there is one, else the HD; nothing of Bob's, nothing deleted.
        var pictures = entries.Keys.Where(k => k.StartsWith("pictures/", StringComparison.Ordinal) && k.EndsWith(".jpg", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Count, pictures.Count);
        foreach (var (pictureId, file) in expected)
        {
            var name = Assert.Single(pictures, p => p.Contains(pictureId.ToString(), StringComparison.Ordinal));
            Assert.Equal(await File.ReadAllBytesAsync(TestPaths.SharedData("a-exif-samples-arezzo", file)), entries[name]);
            var item = JsonDocument.Parse(entries[name[..^4] + ".json"]).RootElement;
            Assert.Equal("Feature", item.GetProperty("type").GetString());
            Assert.Equal(pictureId.ToString(), item.GetProperty("id").GetString());
        }
        Assert.DoesNotContain(entries.Keys, k => k.Contains(f.DeletedPicture.ToString(), StringComparison.Ordinal));
        Assert.DoesNotContain(entries.Keys, k => f.BobSequence.PictureIds.Any(b => k.Contains(b.ToString(), StringComparison.Ordinal)));

        // SHA256SUMS covers every other file, and every sum is right.
        var sums = Encoding.UTF8.GetString(entries["SHA256SUMS"]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split("  ", 2)).ToDictionary(p => p[1], p => p[0]);
        Assert.Equal(entries.Keys.Except(new[] { "SHA256SUMS", "manifest.json" }).Order(), sums.Keys.Order());
        foreach (var (name, sum) in sums)
        {
            Assert.Equal(sum, Convert.ToHexStringLower(SHA256.HashData(entries[name])));
        }

        var manifest = JsonDocument.Parse(entries["manifest.json"]).RootElement;
        Assert.Equal(expected.Count, manifest.GetProperty("pictures").GetInt32());
        Assert.Equal(f.Hidden.PictureIds.Count, manifest.GetProperty("files").GetProperty("original").GetInt32());
        Assert.Equal(0, manifest.GetProperty("files").GetProperty("missing").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(entries["SHA256SUMS"])), manifest.GetProperty("sha256").GetProperty("SHA256SUMS").GetString());

        // Both of Alice's sequences (the owner-only one too), with their visibility, the hostile title kept as data.
        var csv = CsvText.Parse(Encoding.UTF8.GetString(entries["sequences.csv"]));
        Assert.Equal(SequenceCsv.Columns.Append("visibility"), csv[0]);
        Assert.Equal(3, csv.Count);
        Assert.Equal("'" + ExportInstance.HostileTitle, csv.Single(r => r[0] == f.Public.Id.ToString())[2]);
        Assert.Equal("owner-only", csv.Single(r => r[0] == f.Hidden.Id.ToString())[^1]);

        // One item file through the offline STAC validator.
        var itemFile = Path.Combine(f.DataDirectory, "exported-item.json");
        await File.WriteAllBytesAsync(itemFile, entries[pictures[0][..^4] + ".json"]);
        var (ok, output) = await StacValidator.ValidateAsync(itemFile);
        Assert.True(ok, output);
    }

    [Fact]
    public async Task Download_honours_byte_ranges_so_an_interrupted_download_resumes()
    {
        var (id, status) = await f.AliceExportAsync();
        var url = $"/api/users/me/export/{id}/download";
        using var head = await f.AliceClient.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("bytes", Assert.Single(head.Headers.AcceptRanges));
        Assert.Equal("application/zip", head.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", head.Content.Headers.ContentDisposition?.DispositionType);
        var etag = head.Headers.ETag!;
        Assert.Contains("private", head.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        using var first = new HttpRequestMessage(HttpMethod.Get, url);
        first.Headers.Range = new RangeHeaderValue(0, 999);
        using var part1 = await f.AliceClient.SendAsync(first);
        Assert.Equal(HttpStatusCode.PartialContent, part1.StatusCode);
        Assert.Equal(0, part1.Content.Headers.ContentRange!.From);
        Assert.Equal(status.GetProperty("size").GetInt64(), part1.Content.Headers.ContentRange.Length);

        using var rest = new HttpRequestMessage(HttpMethod.Get, url);
        rest.Headers.Range = new RangeHeaderValue(1000, null);
        rest.Headers.IfRange = new RangeConditionHeaderValue(etag);
        using var part2 = await f.AliceClient.SendAsync(rest);
        Assert.Equal(HttpStatusCode.PartialContent, part2.StatusCode);

        var joined = (await part1.Content.ReadAsByteArrayAsync()).Concat(await part2.Content.ReadAsByteArrayAsync()).ToArray();
        Assert.Equal(status.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(joined)));
    }

    [Fact]
    public async Task Another_account_gets_404_for_an_export_and_anonymous_callers_401()
    {
        var (id, _) = await f.AliceExportAsync();
        foreach (var path in new[] { $"/api/users/me/export/{id}", $"/api/users/me/export/{id}/download" })
        {
            using var other = await f.BobClient.GetAsync(path);
            await JsonAssert.IsApiErrorAsync(other, HttpStatusCode.NotFound);
            using var anonymous = await f.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        using var start = await f.Http.PostAsync("/api/users/me/export", null);
        Assert.Equal(HttpStatusCode.Unauthorized, start.StatusCode);
        using var latest = await f.Http.GetAsync("/api/users/me/export");
        Assert.Equal(HttpStatusCode.Unauthorized, latest.StatusCode);
    }

    [Fact]
    public async Task Latest_export_status_links_its_download()
    {
        await f.AliceExportAsync();
        var (id, _) = await ExportInstance.StartAndWaitAsync(f.AliceClient);
        var latest = JsonDocument.Parse(await f.AliceClient.GetStringAsync("/api/users/me/export")).RootElement;
        Assert.Equal(id.ToString(), latest.GetProperty("id").GetString());
        Assert.Equal("ready", latest.GetProperty("status").GetString());
        var download = Assert.Single(JsonAssert.Links(latest, "download"));
        Assert.EndsWith($"/api/users/me/export/{id}/download", download.GetProperty("href").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_export_is_deleted_from_storage_and_no_longer_downloadable()
    {
        await f.AliceExportAsync();
        var (id, _) = await ExportInstance.StartAndWaitAsync(f.AliceClient);
        var db = f.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var cmd = db.CreateCommand("UPDATE account_exports SET expires_at = now() - interval '1 minute' WHERE id = $1"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            await cmd.ExecuteNonQueryAsync();
        }
        var status = JsonDocument.Parse(await f.AliceClient.GetStringAsync($"/api/users/me/export/{id}")).RootElement;
        Assert.Equal("expired", status.GetProperty("status").GetString());
        Assert.Empty(JsonAssert.Links(status, "download"));
        using (var download = await f.AliceClient.GetAsync($"/api/users/me/export/{id}/download"))
        {
            await JsonAssert.IsApiErrorAsync(download, HttpStatusCode.NotFound);
        }

        // The next export request sweeps expired archives out of the store.
        var (next, _) = await ExportInstance.StartAndWaitAsync(f.AliceClient);
        Assert.NotEqual(id, next);
        var store = f.Services.GetRequiredService<IBlobStore>();
        Assert.Null(await store.GetInfoAsync(StorageKeys.Export(f.Alice, id), default));
        Assert.NotNull(await store.GetInfoAsync(StorageKeys.Export(f.Alice, next), default));
    }

    [Fact]
    public async Task Asking_again_while_an_export_is_pending_answers_it_and_requeues_a_lost_job()
    {
        // A queued export of Bob's whose job was lost (none in the queue).
        var pendingId = await f.InsertExportAsync(f.Bob, "queued");

        using var again = await f.BobClient.PostAsync("/api/users/me/export", null);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var status = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(pendingId.ToString(), status.GetProperty("id").GetString());
        Assert.Empty(JsonAssert.Links(status, "download"));

        var done = await ExportInstance.WaitReadyAsync(f.BobClient, pendingId);
        Assert.Equal(f.BobSequence.PictureIds.Count, done.GetProperty("progress").GetProperty("done").GetInt32());
    }

    [Fact]
    public async Task A_retried_export_starts_over_from_a_clean_archive()
    {
        await f.AliceExportAsync();
        // An export row without a queued job (the worker leaves it alone); a killed attempt left a partial file behind.
        var exportId = await f.InsertExportAsync(f.Alice, "running");
        var temp = Path.Combine(Path.GetTempPath(), "panoramax-exports");
        Directory.CreateDirectory(temp);
        await File.WriteAllTextAsync(Path.Combine(temp, $"{exportId:D}.sums.part"), "0000  checksums of a killed attempt\n");

        await using (var scope = f.Services.CreateAsyncScope())
        {
            var handler = scope.ServiceProvider.GetRequiredService<ExportAccountHandler>();
            var outcome = await handler.RunAsync(new JobContext(0, JobKinds.ExportAccount, exportId, Attempt: 2, MaxAttempts: 8), default);
            Assert.Equal(JobOutcomeKind.Success, outcome.Kind);
        }

        var status = JsonDocument.Parse(await f.AliceClient.GetStringAsync($"/api/users/me/export/{exportId}")).RootElement;
        Assert.Equal("ready", status.GetProperty("status").GetString());
        var bytes = await f.AliceClient.GetByteArrayAsync($"/api/users/me/export/{exportId}/download");
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        Assert.Equal(f.ExpectedFiles.Count, zip.Entries.Count(e => e.FullName.EndsWith(".jpg", StringComparison.Ordinal)));
        var sums = Encoding.UTF8.GetString(Read(zip.GetEntry("SHA256SUMS")!));
        Assert.DoesNotContain("killed attempt", sums, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp, $"{exportId:D}.sums.part")));
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
