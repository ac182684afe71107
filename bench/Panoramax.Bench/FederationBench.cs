using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Federation;
using Panoramax.Federation;
using Panoramax.Federation.Peers;
using Panoramax.Server.Federation;
using Panoramax.Server.Hosting;

namespace Panoramax.Bench;

/// <summary>
/// Federation throughput between two real instances (own databases in one cluster, real gRPC on loopback): A (in this
/// process) holds N seeded pictures whose change-log entries it seals (renders, hashes, chains, signs); B runs as a
/// separate server process (<c>dotnet panoramax.dll</c>) so that its memory can be measured alone, is connected through
/// both admins and copies the whole feed (signature and chain checks included). Baseline, same run: the same payload
/// bytes moved from A's database into a bare table of B's with binary COPY, no check at all. Then (unless changes is 0)
/// the propagation delay of single changes with pokes (A commits → B has the new version).
/// </summary>
internal static class FederationBench
{
    private const string AdminPassword = "bench-admin-password";

    public static async Task<int> RunAsync(int pictures, int changes, int copyLimitSeconds)
    {
        await using var a = await BenchDatabase.CreateAsync();
        var bConnection = await a.CreateSiblingDatabaseAsync("bench_b");
        var sw = Stopwatch.StartNew();
        var sequences = Math.Max(1, pictures / 50);
        await Seeder.SeedAsync(a.DataSource, Seeder.Plan(pictures, sequences));
        var entries = await AppendChangeLogAsync(a.DataSource);
        await a.ExecAsync("VACUUM ANALYZE");
        Console.WriteLine(Inv($"federation: {pictures:N0} pictures in {sequences:N0} sequences = {entries:N0} change entries on A (seeded in {sw.Elapsed.TotalSeconds:F0} s)"));

        var work = Directory.CreateTempSubdirectory("panoramax-bench-federation-").FullName;
        try
        {
            await using var appA = await StartAsync("alpha", a.ConnectionString, Path.Combine(work, "a"));
            sw.Restart();
            // "Any unsealed entry left?" through the sealer's partial index: counting them all would load the database.
            await WaitAsync(async () => await ScalarAsync(a.DataSource, "SELECT count(*) FROM (SELECT 1 FROM change_log WHERE sealed_at IS NULL LIMIT 1) x") == 0, TimeSpan.FromHours(1), pollMs: 250);
            var sealing = sw.Elapsed;
            Console.WriteLine(Inv($"A seals its feed (render STAC payloads, hash, chain, sign): {sealing.TotalSeconds:F1} s = {entries / sealing.TotalSeconds:N0} entries/s"));
            await RenderComparisonAsync(appA, a.DataSource, Math.Min(2000, pictures));

            await using var bData = NpgsqlDataSource.Create(bConnection);
            var baseline = await CopyPayloadsAsync(a.DataSource, bData);
            Console.WriteLine(Inv($"baseline: the same {entries:N0} payloads COPYed from A's database into a bare table of B's: {baseline.TotalSeconds:F1} s = {entries / baseline.TotalSeconds:N0} entries/s"));
            Console.WriteLine(Inv($"ratio seal / baseline: {sealing / baseline:F1}x"));

            using var b = await ServerChild.StartAsync("bravo", bConnection, Path.Combine(work, "b"));
            var aId = await SelfIdAsync(a.DataSource);
            var idle = b.Memory();
            Console.WriteLine(Inv($"B (pid {b.Process.Id}) started: RSS {idle.RssBytes / 1e6:F0} MB, peak so far {idle.PeakBytes / 1e6:F0} MB"));
            var sampler = b.SampleRss();
            sw.Restart();
            await ConnectAsync(appA, aId, b);
            // A time limit (4th argument) stops waiting on a machine too slow for the whole copy: the figures are then
            // of the part applied, with the rest still queued on A (B keeps the whole backlog ahead of it).
            var limit = copyLimitSeconds > 0 ? TimeSpan.FromSeconds(copyLimitSeconds) : TimeSpan.FromHours(2);
            var copied = 0L;
            while ((copied = await ScalarAsync(bData, $"SELECT coalesce(max(seq), 0) FROM change_log WHERE origin_instance_id = '{aId}'")) < entries && sw.Elapsed < limit)
            {
                if (b.Process.HasExited)
                {
                    throw new InvalidOperationException($"B exited: {b.LogTail()}");
                }
                await Task.Delay(500);
            }
            var copy = sw.Elapsed;
            var sampled = await sampler.StopAsync();
            var after = b.Memory();
            if (copied < entries)
            {
                Console.WriteLine(Inv($"initial copy A → B over gRPC stopped at the {limit.TotalSeconds:F0} s limit: {copied:N0} of {entries:N0} entries applied = {copied / copy.TotalSeconds:N0} entries/s; the whole copy at that rate: {entries / (copied / copy.TotalSeconds):F0} s (goal for 1,000,000 pictures: <= 90 s)"));
                Console.WriteLine(Inv($"ratio copy / baseline (per entry): {copy / copied / (baseline / entries):F1}x"));
            }
            else
            {
                Console.WriteLine(Inv($"initial copy A → B over gRPC (verify chain + signatures, apply, cursor): {copy.TotalSeconds:F1} s = {entries / copy.TotalSeconds:N0} entries/s applied (goal for 1,000,000 pictures: <= 90 s)"));
                Console.WriteLine(Inv($"ratio copy / baseline: {copy / baseline:F1}x"));
            }
            Console.WriteLine(Inv($"B's memory while copying the {entries:N0}-entry backlog: peak RSS {after.PeakBytes / 1e6:F0} MB (VmHWM), highest sample {sampled / 1e6:F0} MB, now {after.RssBytes / 1e6:F0} MB (goal <= 300 MB)"));

            if (changes > 0 && copied >= entries)
            {
                // Single changes: bump a picture's version on A with its change entry in one transaction (what every
                // writer does), then wait until B holds that version. Pokes make B pull at once.
                var delays = new List<double>();
                var ids = await IdsAsync(a.DataSource, changes);
                foreach (var id in ids)
                {
                    sw.Restart();
                    var version = await ChangeOnAsync(appA, id);
                    await WaitAsync(async () => await ScalarAsync(bData, $"SELECT version FROM pictures WHERE id = '{id}'") >= version, TimeSpan.FromMinutes(2), pollMs: 5, b);
                    delays.Add(sw.Elapsed.TotalMilliseconds);
                }
                delays.Sort();
                Console.WriteLine(Inv($"propagation of {changes} single changes (commit on A → new version on B, with poke): p50 {delays[delays.Count / 2]:F0} ms, p95 {delays[(int)Math.Ceiling(delays.Count * 0.95) - 1]:F0} ms (goal p95 <= 2000 ms)"));
            }
            await b.StopAsync();
            // Stopped before disposal, so the scheduler does not fire a sync job into a disposed container.
            await appA.StopAsync();
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The sealer's rendering, same run, same records: one by one (the first sealer's way: two or three round trips
    /// per record) against one batch. Both give the same bytes (SealerTests pins it).
    /// </summary>
    private static async Task RenderComparisonAsync(WebApplication app, NpgsqlDataSource db, int count)
    {
        var requests = new List<RenderRequest>();
        await using (var cmd = db.CreateCommand($"SELECT entity_kind, entity_id FROM change_log ORDER BY seq DESC LIMIT {count}"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                requests.Add(new RenderRequest(r.GetString(0) == "sequence" ? EntityKind.Sequence : EntityKind.Picture, r.GetGuid(1)));
            }
        }
        var renderer = app.Services.GetRequiredService<IPayloadRenderer>();
        var sw = Stopwatch.StartNew();
        foreach (var request in requests)
        {
            await renderer.RenderAsync(request.Kind, request.Id, CancellationToken.None);
        }
        var single = sw.Elapsed;
        sw.Restart();
        for (var i = 0; i < requests.Count; i += 1000)
        {
            await renderer.RenderManyAsync(requests.GetRange(i, Math.Min(1000, requests.Count - i)), CancellationToken.None);
        }
        var batched = sw.Elapsed;
        Console.WriteLine(Inv($"render {requests.Count:N0} payloads one by one: {requests.Count / single.TotalSeconds:N0} /s; in batches of 1,000: {requests.Count / batched.TotalSeconds:N0} /s ({single / batched:F1}x)"));
    }

    private static Task<WebApplication> StartAsync(string name, string connectionString, string dataDir) =>
        BenchHosts.StartAsync(name, connectionString, dataDir,
            // PANORAMAX_BENCH_SEAL_LOG=1: the sealer's per-batch timings (read, render + hash, write, commit).
            $"--Logging:LogLevel:Panoramax.Federation.Feed.ChangeSealer={(Environment.GetEnvironmentVariable("PANORAMAX_BENCH_SEAL_LOG") == "1" ? "Debug" : "Warning")}");

    /// <summary>As an admin of each would: A adds B by URL (in-process admin service), B's admin confirms A through B's
    /// HTTP admin API, A's confirms B.</summary>
    private static async Task ConnectAsync(WebApplication a, Guid aId, ServerChild b)
    {
        PeerStatus added;
        await using (var scope = a.Services.CreateAsyncScope())
        {
            added = await scope.ServiceProvider.GetRequiredService<PeerAdmin>().AddAsync(b.GrpcUrl, CancellationToken.None);
        }
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = b.BaseUrl };
        using (var login = await http.PostAsJsonAsync("/api/auth/local/login", new { name = "admin", password = AdminPassword }))
        {
            login.EnsureSuccessStatusCode();
        }
        using (var confirm = await http.PostAsync(new Uri($"/api/admin/peers/{aId}/confirm", UriKind.Relative), null))
        {
            confirm.EnsureSuccessStatusCode();
        }
        await using (var scope = a.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PeerAdmin>().ConfirmAsync(added.Id, CancellationToken.None);
        }
    }

    /// <summary>One upsert entry per sequence then per picture, seq 1..n, as if each had been published one by one.</summary>
    private static async Task<long> AppendChangeLogAsync(NpgsqlDataSource db)
    {
        // An instance's log follows publication: a sequence and its pictures together. PANORAMAX_BENCH_FEED_ORDER=random
        // orders the entries by id instead (every batch then touches nearly every sequence: the worst case, and the
        // order of the runs recorded before 2026-12-07 02:00).
        var order = Environment.GetEnvironmentVariable("PANORAMAX_BENCH_FEED_ORDER") == "random" ? "ent.k, ent.id" : "ent.sequence_id, ent.k, ent.rank";
        await using var cmd = db.CreateCommand($"""
            WITH self AS (SELECT id FROM instances WHERE is_self),
            ent AS (
                SELECT id AS sequence_id, 0 AS k, 0 AS rank, 'sequence' AS kind, id, version FROM sequences
                UNION ALL
                SELECT sequence_id, 1, rank, 'picture', id, version FROM pictures)
            INSERT INTO change_log (origin_instance_id, seq, entity_kind, entity_id, op, entity_version, created_at)
            SELECT self.id, row_number() OVER (ORDER BY {order}), ent.kind, ent.id, 'upsert', ent.version, now()
            FROM ent, self
            """);
        cmd.CommandTimeout = 0;
        var n = await cmd.ExecuteNonQueryAsync();
        await using var seq = db.CreateCommand($"UPDATE instances SET last_seq = {n} WHERE is_self");
        await seq.ExecuteNonQueryAsync();
        return n;
    }

    private static async Task<TimeSpan> CopyPayloadsAsync(NpgsqlDataSource a, NpgsqlDataSource b)
    {
        await using (var create = b.CreateCommand("CREATE TABLE bench_payloads (seq bigint, entity_id uuid, payload text COMPRESSION lz4, signature bytea)"))
        {
            await create.ExecuteNonQueryAsync();
        }
        var sw = Stopwatch.StartNew();
        await using (var from = await a.OpenConnectionAsync())
        await using (var to = await b.OpenConnectionAsync())
        {
            await using var reader = await from.BeginBinaryExportAsync("COPY (SELECT seq, entity_id, payload, signature FROM change_log ORDER BY seq) TO STDOUT (FORMAT BINARY)");
            await using var writer = await to.BeginBinaryImportAsync("COPY bench_payloads (seq, entity_id, payload, signature) FROM STDIN (FORMAT BINARY)");
            while (await reader.StartRowAsync() != -1)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(await reader.ReadAsync<long>(NpgsqlDbType.Bigint), NpgsqlDbType.Bigint);
                await writer.WriteAsync(await reader.ReadAsync<Guid>(NpgsqlDbType.Uuid), NpgsqlDbType.Uuid);
                await WriteNullableAsync(reader, writer, NpgsqlDbType.Text);
                await WriteNullableAsync(reader, writer, NpgsqlDbType.Bytea);
            }
            await writer.CompleteAsync();
        }
        var elapsed = sw.Elapsed;
        await using (var drop = b.CreateCommand("DROP TABLE bench_payloads"))
        {
            await drop.ExecuteNonQueryAsync();
        }
        return elapsed;
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryExporter reader, NpgsqlBinaryImporter writer, NpgsqlDbType type)
    {
        if (reader.IsNull)
        {
            await reader.SkipAsync();
            await writer.WriteNullAsync();
        }
        else if (type == NpgsqlDbType.Text)
        {
            await writer.WriteAsync(await reader.ReadAsync<string>(type), type);
        }
        else
        {
            await writer.WriteAsync(await reader.ReadAsync<byte[]>(type), type);
        }
    }

    private static async Task<long> ChangeOnAsync(WebApplication a, Guid pictureId)
    {
        await using var scope = a.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Persistence.PanoramaxDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync();
        var picture = await db.Pictures.FindAsync(pictureId) ?? throw new InvalidOperationException($"no picture {pictureId}");
        picture.Version++;
        picture.UpdatedAt = TimeProvider.System.GetUtcNow();
        await Persistence.ChangeLog.ChangeLogWriter.AppendAsync(db, Domain.Federation.EntityKind.Picture, picture.Id, Domain.Federation.ChangeOp.Upsert,
            picture.Version, null, TimeProvider.System, CancellationToken.None);
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        return picture.Version;
    }

    private static async Task<List<Guid>> IdsAsync(NpgsqlDataSource db, int count)
    {
        await using var cmd = db.CreateCommand($"SELECT id FROM pictures ORDER BY id LIMIT {count}");
        await using var reader = await cmd.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    private static async Task<Guid> SelfIdAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("SELECT id FROM instances WHERE is_self");
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return await cmd.ExecuteScalarAsync() is long v ? v : -1;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, int pollMs = 100, ServerChild? child = null)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"not done after {timeout}{(child is null ? "" : $"; B's log:\n{child.LogTail()}")}");
            }
            if (child is { Process.HasExited: true })
            {
                throw new InvalidOperationException($"B exited: {child.LogTail()}");
            }
            await Task.Delay(pollMs);
        }
    }

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);
}
