using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetVips;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Jobs;
using Panoramax.Jobs.Export;
using Panoramax.Persistence;
using Panoramax.Server.Exports;
using Panoramax.Server.Hosting;
using Panoramax.Storage.FileSystem;

namespace Panoramax.Bench;

/// <summary>
/// The account export job (<see cref="ExportAccountHandler"/>) on N pictures with real JPEG files in a filesystem
/// store, run in a fresh process so its peak RSS is the whole job's. Baseline in the same run: the same files read
/// from the same store into a ZIP (stored, System.IO.Compression) — the archive without metadata, checksums or the
/// copy into the store.
/// </summary>
internal static class ExportBench
{
    public static async Task<int> RunAsync(int pictures)
    {
        var work = Directory.CreateTempSubdirectory("panoramax-bench-export-").FullName;
        try
        {
            await using var db = await BenchDatabase.CreateAsync();
            var jpeg = Path.Combine(work, "picture.jpg");
            using (var src = Image.NewFromFile(Path.Combine(BenchPaths.SharedDir(), "data", "b-mapillary-tools", "DSC00001.JPG")))
            using (var resized = src.Resize(1600.0 / src.Width))
            {
                resized.Jpegsave(jpeg, q: 85);
            }
            var fileSize = new FileInfo(jpeg).Length;
            var seeded = await Seeder.SeedAsync(db.DataSource, Seeder.Plan(pictures, Math.Max(1, pictures / 100)));
            var storage = Path.Combine(work, "storage");
            var store = new FileSystemBlobStore(storage);
            await store.InitializeAsync(default);
            var ids = new List<Guid>();
            await using (var cmd = db.DataSource.CreateCommand("SELECT id FROM pictures ORDER BY id"))
            await using (var r = await cmd.ExecuteReaderAsync())
            {
                while (await r.ReadAsync())
                {
                    ids.Add(r.GetGuid(0));
                }
            }
            foreach (var id in ids)
            {
                await using var file = File.OpenRead(jpeg);
                await store.PutAsync(StorageKeys.Hd(id), file, "image/jpeg", default);
            }
            await using (var cmd = db.DataSource.CreateCommand("UPDATE pictures p SET hd_key = k.key FROM unnest($1::uuid[], $2::text[]) AS k(id, key) WHERE p.id = k.id"))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
                cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Select(StorageKeys.Hd).ToArray() });
                await cmd.ExecuteNonQueryAsync();
            }
            Console.WriteLine(Inv($"export: {ids.Count:N0} pictures of {fileSize / 1024.0:F0} kB ({ids.Count * fileSize / 1e6:F0} MB of JPEG) in {seeded.Sequences} sequences; {Environment.ProcessorCount} cores"));

            // Baseline: the same blobs, read from the same store, into a stored ZIP.
            var baselineZip = Path.Combine(work, "baseline.zip");
            var sw = Stopwatch.StartNew();
            await using (var output = new FileStream(baselineZip, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            await using (var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null))
            {
                foreach (var id in ids)
                {
                    await using var source = (await store.OpenReadAsync(StorageKeys.Hd(id), 0, null, default))!;
                    await using var entry = await zip.CreateEntry($"{id}.jpg", CompressionLevel.NoCompression).OpenAsync();
                    await source.CopyToAsync(entry, 1 << 16);
                }
            }
            var baseline = sw.Elapsed;
            var baselineBytes = new FileInfo(baselineZip).Length;
            File.Delete(baselineZip);

            // The real export, and a warm-up one of an account without pictures (the child runs it first, as a running server would have).
            var exportId = Guid.NewGuid();
            var warmupId = Guid.NewGuid();
            var warmupAccount = Guid.NewGuid();
            await using (var cmd = db.DataSource.CreateCommand("""
                INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
                VALUES ($1, (SELECT id FROM instances WHERE is_self), 'warm-up', 'user', false, 'anyone', 0, now(), now())
                """))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = warmupAccount });
                await cmd.ExecuteNonQueryAsync();
            }
            await using (var cmd = db.DataSource.CreateCommand("""
                INSERT INTO account_exports (id, account_id, state, base_url, pictures_done, pictures_total, created_at, updated_at)
                VALUES ($1, $2, 'queued', 'http://127.0.0.1:5000', 0, 0, now(), now()), ($3, $4, 'queued', 'http://127.0.0.1:5000', 0, 0, now(), now())
                """))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = exportId });
                cmd.Parameters.Add(new NpgsqlParameter { Value = seeded.AccountId });
                cmd.Parameters.Add(new NpgsqlParameter { Value = warmupId });
                cmd.Parameters.Add(new NpgsqlParameter { Value = warmupAccount });
                await cmd.ExecuteNonQueryAsync();
            }
            var self = Environment.ProcessPath!;
            var selfArgs = self.EndsWith("dotnet", StringComparison.Ordinal) ? $"\"{typeof(ExportBench).Assembly.Location}\" " : "";
            var (cost, stderr) = ImagingBench.MeasureWithOutput(self, $"{selfArgs}export-one \"{db.ConnectionString}\" \"{storage}\" {exportId} \"{Path.Combine(work, "tmp")}\" {warmupId}");
            var line = stderr.Split('\n').Last(l => l.StartsWith("export=", StringComparison.Ordinal))["export=".Length..].Split(' ');
            var seconds = double.Parse(line[0], CultureInfo.InvariantCulture);
            var bytes = long.Parse(line[1], CultureInfo.InvariantCulture);

            Console.WriteLine(Inv($"baseline (same blobs into a stored ZIP): {baseline.TotalSeconds:F2} s, {baselineBytes / 1e6 / baseline.TotalSeconds:F0} MB/s"));
            Console.WriteLine(Inv($"export job (files + STAC items + CSV + SHA256SUMS, then into the store): {seconds:F2} s, {bytes / 1e6 / seconds:F0} MB/s of archive ({bytes / 1e6:F0} MB)"));
            Console.WriteLine(Inv($"ratio export/baseline: {seconds / baseline.TotalSeconds:F2}x time"));
            Console.WriteLine(Inv($"peak RSS of the export process: {cost.MaxRssKb / 1024.0:F0} MB (whole .NET process incl. runtime); goal < 300 MB: {(cost.MaxRssKb < 300 * 1024 ? "met" : "NOT met")}"));
            return await VerifyAsync(store, StorageKeys.Export(seeded.AccountId, exportId), ids) ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Opens the stored archive and checks it is complete: a picture and its STAC Item for every id, and every
    /// file's SHA-256 equal to its line in SHA256SUMS.</summary>
    private static async Task<bool> VerifyAsync(FileSystemBlobStore store, string key, List<Guid> ids)
    {
        await using var archive = (await store.OpenReadAsync(key, 0, null, default))!;
        await using var zip = await ZipArchive.CreateAsync(archive, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null);
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var reader = new StreamReader(await zip.GetEntry("SHA256SUMS")!.OpenAsync()))
        {
            while (await reader.ReadLineAsync() is { Length: > 0 } line)
            {
                sums[line[66..]] = line[..64];
            }
        }
        int checkedFiles = 0, bad = 0;
        foreach (var entry in zip.Entries.Where(e => sums.ContainsKey(e.FullName)))
        {
            await using var content = await entry.OpenAsync();
            var hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(content));
            bad += string.Equals(hash, sums[entry.FullName], StringComparison.OrdinalIgnoreCase) ? 0 : 1;
            checkedFiles++;
        }
        var names = zip.Entries.Select(e => e.FullName).ToList();
        var missing = ids.Count(id => !names.Any(n => n.EndsWith($"-{id}.jpg", StringComparison.Ordinal)) || !names.Any(n => n.EndsWith($"-{id}.json", StringComparison.Ordinal)));
        var ok = bad == 0 && missing == 0 && checkedFiles >= 2 * ids.Count;
        Console.WriteLine(Inv($"archive check: {checkedFiles:N0} files hashed against SHA256SUMS, {bad} mismatches, {missing} pictures without their JPEG or STAC Item: {(ok ? "complete" : "NOT complete")}"));
        return ok;
    }

    /// <summary>Child-process entry: the export job alone, on an already seeded database and store.</summary>
    public static async Task<int> RunOneAsync(string connectionString, string storage, Guid exportId, string temp, Guid warmupId)
    {
        await using var data = PersistenceExtensions.BuildPanoramaxDataSource(connectionString);
        var options = new DbContextOptionsBuilder<PanoramaxDbContext>();
        options.UsePanoramaxNpgsql(data);
        await using var db = new PanoramaxDbContext(options.Options);
        var store = new FileSystemBlobStore(storage);
        await store.InitializeAsync(default);
        var handler = new ExportAccountHandler(db, data, store, new StacExportItemWriter(Options.Create(new PanoramaxOptions())), TimeProvider.System,
            Options.Create(new ExportOptions { TempDirectory = temp }), NullLogger<ExportAccountHandler>.Instance);
        // The job runs in a warm server: EF's model, the first connections and the code paths are ready before the clock starts.
        await handler.RunAsync(new JobContext(0, JobKinds.ExportAccount, warmupId, 1, 1), default);
        var sw = Stopwatch.StartNew();
        var outcome = await handler.RunAsync(new JobContext(1, JobKinds.ExportAccount, exportId, 1, 1), default);
        var elapsed = sw.Elapsed;
        if (outcome.Kind != JobOutcomeKind.Success)
        {
            await Console.Error.WriteLineAsync($"export did not succeed: {outcome.Kind} {outcome.Reason}");
            return 1;
        }
        var size = await db.AccountExports.Where(e => e.Id == exportId).Select(e => e.SizeBytes).SingleAsync();
        await Console.Error.WriteLineAsync(Inv($"export={elapsed.TotalSeconds:F3} {size}"));
        return 0;
    }

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);
}
