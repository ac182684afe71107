using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;

namespace Panoramax.Bench;

/// <summary>
/// Vector tile generation through our query code (SQL composition, visibility predicate, parameters) against the
/// same tile written as one raw ST_AsMVT statement, interleaved tile by tile on the same database; then requests/s
/// of a cached tile through the real server under wrk.
/// </summary>
internal static class TilesBench
{
    // The baseline: what a person would write by hand for the z7-14 sequences layer of public data.
    private const string RawSequencesSql = """
        WITH b AS (
            SELECT ST_TileEnvelope($1, $2, $3) AS tile,
                   ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 0.015625), 4326) AS area
        ), mvt AS (
            SELECT ST_AsMVTGeom(ST_Transform(s.geometry, 3857), b.tile, 4096, 64, true) AS geom,
                   s.id::text AS id, s.account_id::text AS account_id, s.camera_model AS model, s.kind AS type,
                   to_char(s.min_captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date,
                   s.gps_accuracy AS gps_accuracy, s.horizontal_pixel_density AS h_pixel_density
            FROM sequences s, b
            WHERE s.geometry && b.area AND s.status = 'ready' AND s.visibility = 'anyone' AND s.deleted_at IS NULL
        )
        SELECT ST_AsMVT(mvt.*, 'sequences', 4096, 'geom') FROM mvt WHERE geom IS NOT NULL
        """;

    public static async Task RunAsync(int pictures, int sequences, int samples)
    {
        await using var db = await BenchDatabase.CreateAsync();
        Console.WriteLine($"tiles: {pictures:N0} pictures in {sequences:N0} sequences, {samples} tiles per zoom");
        var plan = Seeder.Plan(pictures, sequences);
        var seedTime = Stopwatch.StartNew();
        await db.SeedOnceAsync(plan);
        Console.WriteLine(FormattableString.Invariant($"seeded in {seedTime.Elapsed.TotalSeconds:F1} s"));
        using var refresher = new PictureGridRefresher(db.DataSource, NullLogger<PictureGridRefresher>.Instance);
        var sw = Stopwatch.StartNew();
        var cells = await refresher.RefreshAsync(CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant($"grid built from the seeding's marks: {cells:N0} cells in {sw.Elapsed.TotalSeconds:F1} s"));
        await MeasureGridEditsAsync(db.DataSource, refresher);

        var rng = new Random(7);
        foreach (var z in new[] { 14, 8 })
        {
            var tiles = Enumerable.Range(0, samples).Select(_ =>
            {
                var seq = plan[rng.Next(plan.Count)];
                var c = seq.Coords[seq.Coords.Length / 2];
                return TileOf(c.X, c.Y, z);
            }).ToList();
            await MeasureAsync(db.DataSource, z, tiles);
        }
        var sample = plan[0].Coords[plan[0].Coords.Length / 2];
        var grid = TileOf(sample.X, sample.Y, 3);
        var gridTimes = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var t = Stopwatch.StartNew();
            await VectorTileQuery.GeneralAsync(db.DataSource, grid, Viewer.Anonymous, CancellationToken.None);
            gridTimes.Add(t.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine(FormattableString.Invariant($"z3 grid tile {grid.Z}/{grid.X}/{grid.Y} (ours): p50 {Percentile(gridTimes, 50):F1} ms"));

        await LoadAsync(db.ConnectionString, TileOf(sample.X, sample.Y, 14));
    }

    // What the grid cost per edit before it was kept cell by cell: every public picture counted again (the materialized
    // view's query; its REFRESH also diffed and rewrote the result, so this baseline is the cheaper part of that).
    private const string FullRecountSql = """
        SELECT count(*) FROM (
            SELECT picture_grid_cell(p.location), count(*), count(*) FILTER (WHERE p.kind = 'equirectangular'), count(*) FILTER (WHERE p.kind = 'flat')
            FROM pictures p JOIN sequences s ON s.id = p.sequence_id
            WHERE p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL AND NOT p.license_filtered
              AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL AND NOT s.license_filtered
            GROUP BY 1) cells
        """;

    /// <summary>
    /// A hide as the map sees it: the picture's row changes (the trigger notes its cell) and the grid is brought up to
    /// date, against counting every cell again. Each hidden picture is shown again afterwards, untimed.
    /// </summary>
    private static async Task MeasureGridEditsAsync(NpgsqlDataSource db, PictureGridRefresher refresher)
    {
        var ids = new List<Guid>();
        await using (var pick = db.CreateCommand("SELECT id FROM pictures TABLESAMPLE SYSTEM (1) WHERE visibility = 'anyone' LIMIT 20"))
        await using (var reader = await pick.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }
        }
        var edits = new List<double>();
        var recounts = new List<double>();
        foreach (var id in ids)
        {
            recounts.Add(await TimeAsync(async () =>
            {
                await using var cmd = db.CreateCommand(FullRecountSql);
                cmd.CommandTimeout = 0;
                await cmd.ExecuteScalarAsync();
            }));
            edits.Add(await TimeAsync(async () =>
            {
                await SetVisibilityAsync(db, id, "owner-only");
                await refresher.RefreshAsync(CancellationToken.None);
            }));
            await SetVisibilityAsync(db, id, "anyone");
            await refresher.RefreshAsync(CancellationToken.None);
        }
        Console.WriteLine(FormattableString.Invariant(
            $"grid after a hide: ours (update + recount of the noted cell) p50 {Percentile(edits, 50):F2} ms p95 {Percentile(edits, 95):F2} ms | full recount p50 {Percentile(recounts, 50):F1} ms | ratio p50 {Percentile(edits, 50) / Percentile(recounts, 50):F4}x"));
    }

    private static async Task SetVisibilityAsync(NpgsqlDataSource db, Guid id, string visibility)
    {
        await using var cmd = db.CreateCommand("UPDATE pictures SET visibility = $1 WHERE id = $2");
        cmd.Parameters.Add(new() { Value = visibility });
        cmd.Parameters.Add(new() { Value = id });
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task MeasureAsync(NpgsqlDataSource db, int z, List<TileAddress> tiles)
    {
        // Warm-up: both paths once per tile (plans, buffers).
        foreach (var t in tiles)
        {
            await OursAsync(db, t);
            await RawAsync(db, t);
        }
        var ours = new List<double>();
        var raw = new List<double>();
        long bytes = 0;
        foreach (var t in tiles)
        {
            // Interleaved, alternating which goes first, so drifts in machine load hit both alike.
            var oursFirst = ours.Count % 2 == 0;
            if (!oursFirst)
            {
                raw.Add(await TimeAsync(() => RawAsync(db, t)));
            }
            var sw = Stopwatch.StartNew();
            bytes += (await OursAsync(db, t)).Length;
            ours.Add(sw.Elapsed.TotalMilliseconds);
            if (oursFirst)
            {
                raw.Add(await TimeAsync(() => RawAsync(db, t)));
            }
        }
        Console.WriteLine(FormattableString.Invariant(
            $"z{z}: ours p50 {Percentile(ours, 50):F2} ms p95 {Percentile(ours, 95):F2} ms | raw ST_AsMVT p50 {Percentile(raw, 50):F2} ms p95 {Percentile(raw, 95):F2} ms | ratio p50 {Percentile(ours, 50) / Percentile(raw, 50):F2}x | mean tile {bytes / tiles.Count:N0} bytes"));
    }

    private static Task<byte[]> OursAsync(NpgsqlDataSource db, TileAddress t) =>
        VectorTileQuery.GeneralAsync(db, t, Viewer.Anonymous, CancellationToken.None);

    private static async Task<byte[]> RawAsync(NpgsqlDataSource db, TileAddress t)
    {
        await using var cmd = db.CreateCommand(RawSequencesSql);
        cmd.Parameters.Add(new() { Value = t.Z });
        cmd.Parameters.Add(new() { Value = t.X });
        cmd.Parameters.Add(new() { Value = t.Y });
        return await cmd.ExecuteScalarAsync() as byte[] ?? [];
    }

    private static async Task<double> TimeAsync(Func<Task> run)
    {
        var sw = Stopwatch.StartNew();
        await run();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>The real server on the bench database, hammered by wrk on one z14 tile (served from the tile cache after the first build).</summary>
    private static async Task LoadAsync(string connectionString, TileAddress tile)
    {
        var data = Path.Combine(Path.GetTempPath(), $"panoramax-bench-server-{Environment.ProcessId}");
        await using var app = await PanoramaxApp.CreateAsync(
        [
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:Panoramax={connectionString}",
            $"--Panoramax:DataDirectory={data}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var url = $"{address}/api/map/{tile.Z}/{tile.X}/{tile.Y}.mvt";
            using var http = new HttpClient();
            // An item page (STAC item of a picture, with prev/next and related look-ups): never cached by the server.
            string itemUrl;
            await using (var ds = Persistence.PersistenceExtensions.BuildPanoramaxDataSource(connectionString))
            await using (var cmd = ds.CreateCommand("SELECT id, sequence_id FROM pictures WHERE rank = 10 LIMIT 1"))
            await using (var r = await cmd.ExecuteReaderAsync())
            {
                await r.ReadAsync();
                itemUrl = $"{address}/api/collections/{r.GetGuid(1)}/items/{r.GetGuid(0)}";
            }
            foreach (var (label, target) in new[] { ("cached z14 tile", url), ("base map tile", $"{address}/api/map/base/{tile.Z}/{tile.X}/{tile.Y}.png"), ("item page", itemUrl) })
            {
                // One request first: the measured figure is the cached path, not the first build.
                (await http.GetAsync(new Uri(target))).EnsureSuccessStatusCode().Dispose();
                var output = await RunAsync("wrk", $"-t2 -c32 -d10s --latency {target}");
                var rps = output.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec", StringComparison.Ordinal))?.Trim() ?? "?";
                var errors = output.Split('\n').Where(l => l.Contains("Non-2xx", StringComparison.Ordinal) || l.Contains("Socket errors", StringComparison.Ordinal)).Select(l => l.Trim());
                var p50 = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("50%", StringComparison.Ordinal))?.Trim() ?? "?";
                var p99 = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("99%", StringComparison.Ordinal))?.Trim() ?? "?";
                Console.WriteLine($"wrk -t2 -c32 -d10s, {label}: {rps}; latency {p50}, {p99}; errors: {(errors.Any() ? string.Join("; ", errors) : "none")}");
            }
        }
        finally
        {
            await app.StopAsync();
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task<string> RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"cannot start {file}");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    private static TileAddress TileOf(double lon, double lat, int z)
    {
        var n = 1 << z;
        var x = (int)Math.Floor((lon + 180) / 360 * n);
        var rad = lat * Math.PI / 180;
        var y = (int)Math.Floor((1 - Math.Log(Math.Tan(rad) + 1 / Math.Cos(rad)) / Math.PI) / 2 * n);
        return new TileAddress(z, x, y);
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var i = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(i, 0, sorted.Count - 1)];
    }

}
