using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Exports;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence;
using Panoramax.Persistence.Exports;
using Panoramax.Persistence.Queries;

namespace Panoramax.Jobs.Export;

/// <summary>
/// Job <c>export_account</c>: writes a ZIP of every picture of an account (all visibilities, not deleted) — the kept
/// original when there is one, else the blurred HD, else the upload still waiting to be processed — each with its STAC
/// Item, plus <c>sequences.csv</c>, <c>SHA256SUMS</c> (every file, <c>sha256sum -c</c> format) and <c>manifest.json</c>.
/// <para>
/// Memory stays bounded: pictures are read in keyset pages, files are streamed from the store into the archive (JPEGs
/// stored, not recompressed), checksums go to a small side file, and the archive streams through a bounded pipe into one
/// atomic put into the blob store. A retry (crash, lost lease) starts the archive over; the export is marked ready only
/// after the put, so a half archive is never offered.
/// </para>
/// </summary>
public sealed class ExportAccountHandler(
    PanoramaxDbContext db, NpgsqlDataSource data, IBlobStore store, IExportItemWriter items, TimeProvider clock,
    IOptions<ExportOptions> options, ILogger<ExportAccountHandler> logger) : IJobHandler
{
    public const string ZipContentType = "application/zip";
    private const int MaxListedMissing = 1000;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public string Kind => JobKinds.ExportAccount;

    public async Task<JobOutcome> RunAsync(JobContext job, CancellationToken ct)
    {
        await ExpireAsync(db, store, clock, ct);
        var export = await db.AccountExports.FirstOrDefaultAsync(e => e.Id == job.TargetId, ct);
        if (export is null)
        {
            return JobOutcome.Skipped("export not found");
        }
        if (export.State is not (ExportState.Queued or ExportState.Running))
        {
            return JobOutcome.Skipped($"export is already {export.State.ToApiName()}");
        }
        var folder = options.Value.TempDirectory ?? Path.Combine(Path.GetTempPath(), "panoramax-exports");
        Directory.CreateDirectory(folder);
        var sumsPath = Path.Combine(folder, $"{export.Id:D}.sums.part");
        try
        {
            var viewer = Viewer.Account(export.AccountId);
            export.State = ExportState.Running;
            export.PicturesDone = 0;
            export.PicturesTotal = await CountAsync(export.AccountId, viewer, ct);
            export.Error = null;
            export.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);

            // From scratch on every attempt, straight into the store: the put is atomic, so a failed or killed attempt
            // leaves the previous object (none, or an identical archive) and never half an archive at the key.
            var key = StorageKeys.Export(export.AccountId, export.Id);
            var (written, size, sha) = await StreamArchiveAsync(export, viewer, key, sumsPath, ct);
            var now = clock.GetUtcNow();
            export.State = ExportState.Ready;
            export.PicturesDone = written;
            export.PicturesTotal = written;
            export.BlobKey = key;
            export.SizeBytes = size;
            export.Sha256 = sha;
            export.FinishedAt = now;
            export.UpdatedAt = now;
            export.ExpiresAt = now + options.Value.Retention;
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Export {Export} of account {Account}: {Pictures} pictures, {Size} bytes", export.Id, export.AccountId, written, size);
            return JobOutcome.Success;
        }
        catch (Exception e) when (e is not OperationCanceledException && job.IsLastAttempt)
        {
            // The worker gives up after this attempt: say so on the export rather than leaving it "running" forever.
            await using var cmd = data.CreateCommand("UPDATE account_exports SET state = 'failed', error = @error, updated_at = @now, finished_at = @now WHERE id = @id");
            cmd.Parameters.AddWithValue("error", $"{e.GetType().Name}: {e.Message}");
            cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
            cmd.Parameters.AddWithValue("id", export.Id);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None);
            throw;
        }
        finally
        {
            TryDelete(sumsPath);
        }
    }

    /// <summary>
    /// Deletes the archives of finished exports past their retention and marks them expired (every export job runs
    /// it, and so does asking for a new export).
    /// </summary>
    /// <returns>How many exports expired.</returns>
    public static async Task<int> ExpireAsync(PanoramaxDbContext db, IBlobStore store, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var due = await db.AccountExports.Where(e => e.State == ExportState.Ready && e.ExpiresAt < now).OrderBy(e => e.ExpiresAt).Take(100).ToListAsync(ct);
        foreach (var e in due)
        {
            if (e.BlobKey is { } key)
            {
                await store.DeleteAsync(key, ct);
            }
            e.State = ExportState.Expired;
            e.BlobKey = null;
            e.UpdatedAt = now;
        }
        if (due.Count > 0)
        {
            await db.SaveChangesAsync(ct);
        }
        return due.Count;
    }

    /// <summary>The pictures <see cref="WriteArchiveAsync"/> will write (the progress total).</summary>
    private async Task<int> CountAsync(Guid accountId, Viewer owner, CancellationToken ct)
    {
        await using var cmd = data.CreateCommand();
        var pictures = VisibilitySql.Predicate("p", owner, cmd.Parameters, publishedOnly: false);
        var sequences = VisibilitySql.Predicate("s", owner, cmd.Parameters, publishedOnly: false);
        cmd.CommandText = $"""
            SELECT count(*) FROM pictures p JOIN sequences s ON s.id = p.sequence_id
            WHERE p.account_id = @account AND p.remote_assets IS NULL AND {pictures} AND {sequences}
            """;
        cmd.Parameters.AddWithValue("account", accountId);
        return (int)(long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private sealed record FileKeys(string? Original, string? Hd, string? Upload);

    private sealed class Tally
    {
        public int Pictures { get; set; }
        public int Originals { get; set; }
        public int Hd { get; set; }
        public int Uploads { get; set; }
        public List<Guid> Missing { get; } = [];
        public int MissingCount { get; set; }
    }

    /// <summary>
    /// Writes the archive into a pipe that the store's put reads from at the same time: the ZIP is never on a local disk
    /// nor in memory (the pipe holds at most 1 MiB), and a failure is handed to the store as the stream's error.
    /// </summary>
    private async Task<(int Pictures, long Size, string Sha256)> StreamArchiveAsync(AccountExport export, Viewer owner, string key, string sumsPath, CancellationToken ct)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
        var put = PutAsync();
        try
        {
            int written;
            long size;
            string sha;
            await using (var pipeStream = pipe.Writer.AsStream(leaveOpen: true))
            await using (var hashing = new HashingStream(pipeStream))
            {
                written = await WriteArchiveAsync(export, owner, hashing, sumsPath, ct);
                await hashing.FlushAsync(ct);
                size = hashing.Count;
                sha = hashing.Hex();
            }
            await pipe.Writer.CompleteAsync();
            await put;
            return (written, size, sha);
        }
        catch (Exception e)
        {
            // The store sees an error instead of the end of the stream, and keeps nothing of this attempt.
            await pipe.Writer.CompleteAsync(e);
            try
            {
                await put;
            }
            catch (Exception)
            {
                // The archive's own failure is the one worth reporting.
            }
            throw;
        }

        async Task PutAsync()
        {
            await Task.Yield();
            try
            {
                await using var content = pipe.Reader.AsStream(leaveOpen: true);
                await store.PutAsync(key, content, ZipContentType, ct);
                await pipe.Reader.CompleteAsync();
            }
            catch (Exception e)
            {
                // Unblocks the writer if the store failed first (its writes then go nowhere until it sees the failure here).
                await pipe.Reader.CompleteAsync(e);
                throw;
            }
        }
    }

    /// <returns>How many pictures the archive holds.</returns>
    private async Task<int> WriteArchiveAsync(AccountExport export, Viewer owner, Stream output, string sumsPath, CancellationToken ct)
    {
        var tally = new Tally();
        await using var sumsFile = new FileStream(sumsPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using var sums = new StreamWriter(sumsFile, Utf8, 1 << 14, leaveOpen: true);
        await using (var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct))
        {
            var pageSize = Math.Max(1, options.Value.PageSize);
            var after = Guid.Empty;
            while (true)
            {
                var page = await ItemQuery.ReadAsync(data, owner, new ItemFilter
                {
                    IncludeUnpublishedForOwner = true,
                    WithNeighbours = false,
                    ExtraPredicate = "p.account_id = @export_owner AND p.id > @export_after AND p.remote_assets IS NULL",
                    ExtraParameters = [new NpgsqlParameter("export_owner", export.AccountId), new NpgsqlParameter("export_after", after)],
                }, ItemOrder.IdAsc, pageSize, null, ct);
                if (page.Count == 0)
                {
                    break;
                }
                var keys = await FileKeysAsync(page.Select(p => p.Id).ToArray(), ct);
                foreach (var item in page)
                {
                    await WritePictureAsync(zip, sums, export, item, keys.GetValueOrDefault(item.Id), tally, ct);
                }
                after = page[^1].Id;
                await ProgressAsync(export.Id, tally.Pictures, ct);
                if (page.Count < pageSize)
                {
                    break;
                }
            }

            var sequencesHash = await WriteEntryAsync(zip, "sequences.csv", CompressionLevel.Fastest, async s =>
            {
                await using var text = new StreamWriter(s, Utf8, 1 << 14, leaveOpen: true);
                await SequenceCsv.WriteAsync(text, data, owner, new CollectionFilter { AccountId = export.AccountId, IncludeUnpublishedForOwner = true },
                    [new CollectionSort("created", false), new CollectionSort("id", false)], withVisibility: true, ct);
            }, ct);
            await sums.WriteAsync($"{sequencesHash}  sequences.csv\n".AsMemory(), ct);
            await sums.FlushAsync(ct);

            sumsFile.Position = 0;
            var sumsHash = await WriteEntryAsync(zip, "SHA256SUMS", CompressionLevel.Fastest, s => sumsFile.CopyToAsync(s, ct), ct);
            await WriteEntryAsync(zip, "manifest.json", CompressionLevel.Fastest, s => WriteManifestAsync(s, export, tally, sequencesHash, sumsHash, ct), ct);
        }
        return tally.Pictures;
    }

    private async Task WritePictureAsync(ZipArchive zip, StreamWriter sums, AccountExport export, ItemRow item, FileKeys? keys, Tally tally, CancellationToken ct)
    {
        var stem = $"pictures/{item.SequenceId:D}/{item.Rank:D6}-{item.Id:D}";
        var (source, kind) = await OpenSourceAsync(keys, ct);
        if (source is null)
        {
            // Its metadata is still exported; the manifest lists it so the owner knows what to look for.
            tally.MissingCount++;
            if (tally.Missing.Count < MaxListedMissing)
            {
                tally.Missing.Add(item.Id);
            }
        }
        else
        {
            await using (source)
            {
                var hash = await WriteEntryAsync(zip, stem + ".jpg", CompressionLevel.NoCompression, s => source.CopyToAsync(s, 1 << 16, ct), ct);
                await sums.WriteAsync($"{hash}  {stem}.jpg\n".AsMemory(), ct);
            }
            switch (kind)
            {
                case "original":
                    tally.Originals++;
                    break;
                case "hd":
                    tally.Hd++;
                    break;
                default:
                    tally.Uploads++;
                    break;
            }
        }
        var jsonHash = await WriteEntryAsync(zip, stem + ".json", CompressionLevel.Fastest, s => items.WriteAsync(s, item, export.BaseUrl, ct), ct);
        await sums.WriteAsync($"{jsonHash}  {stem}.json\n".AsMemory(), ct);
        tally.Pictures++;
    }

    /// <summary>The file to export: the unblurred original when kept, else the published HD, else the upload not processed yet.</summary>
    private async Task<(Stream? Stream, string Kind)> OpenSourceAsync(FileKeys? keys, CancellationToken ct)
    {
        foreach (var (key, kind) in new[] { (keys?.Original, "original"), (keys?.Hd, "hd"), (keys?.Upload, "upload") })
        {
            if (key is not null && await store.OpenReadAsync(key, 0, null, ct) is { } stream)
            {
                return (stream, kind);
            }
        }
        return (null, "");
    }

    private async Task<Dictionary<Guid, FileKeys>> FileKeysAsync(Guid[] ids, CancellationToken ct)
    {
        await using var cmd = data.CreateCommand("""
            SELECT DISTINCT ON (p.id) p.id, p.original_key, p.hd_key, f.upload_set_id, f.id
            FROM pictures p LEFT JOIN upload_set_files f ON f.picture_id = p.id
            WHERE p.id = ANY(@ids)
            ORDER BY p.id, f.inserted_at DESC
            """);
        cmd.Parameters.AddWithValue("ids", ids);
        var map = new Dictionary<Guid, FileKeys>(ids.Length);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var upload = r.IsDBNull(3) ? null : StorageKeys.Upload(r.GetGuid(3), r.GetGuid(4));
            map[r.GetGuid(0)] = new FileKeys(r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), upload);
        }
        return map;
    }

    private async Task ProgressAsync(Guid exportId, int done, CancellationToken ct)
    {
        await using var cmd = data.CreateCommand("UPDATE account_exports SET pictures_done = @done, updated_at = @now WHERE id = @id");
        cmd.Parameters.AddWithValue("done", done);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("id", exportId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One archive entry, streamed; returns the SHA-256 of its content.</summary>
    private static async Task<string> WriteEntryAsync(ZipArchive zip, string name, CompressionLevel level, Func<Stream, Task> write, CancellationToken ct)
    {
        var entry = zip.CreateEntry(name, level);
        await using var target = await entry.OpenAsync(ct);
        await using var hashing = new HashingStream(target);
        await write(hashing);
        await hashing.FlushAsync(ct);
        return hashing.Hex();
    }

    private async Task WriteManifestAsync(Stream destination, AccountExport export, Tally tally, string sequencesHash, string sumsHash, CancellationToken ct)
    {
        await using var w = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", "panoramax-account-export");
        w.WriteNumber("format_version", 1);
        w.WriteString("export_id", export.Id);
        w.WriteString("account_id", export.AccountId);
        w.WriteString("instance", export.BaseUrl);
        w.WriteString("created", clock.GetUtcNow());
        w.WriteNumber("pictures", tally.Pictures);
        w.WriteStartObject("files");
        w.WriteNumber("original", tally.Originals);
        w.WriteNumber("hd", tally.Hd);
        w.WriteNumber("upload", tally.Uploads);
        w.WriteNumber("missing", tally.MissingCount);
        w.WriteEndObject();
        w.WriteStartArray("missing_pictures");
        foreach (var id in tally.Missing)
        {
            w.WriteStringValue(id);
        }
        w.WriteEndArray();
        w.WriteString("layout", "pictures/{sequence id}/{rank}-{picture id}.jpg with its STAC Item next to it (.json); sequences.csv lists the sequences");
        w.WriteString("checksums", "SHA256SUMS");
        w.WriteStartObject("sha256");
        w.WriteString("SHA256SUMS", sumsHash);
        w.WriteString("sequences.csv", sequencesHash);
        w.WriteEndObject();
        w.WriteEndObject();
        await w.FlushAsync(ct);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
