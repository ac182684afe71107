using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Server.Hosting;

namespace Panoramax.Bench;

/// <summary>
/// <c>/api/search?bbox=…&amp;limit=100</c> through the real HTTP host vs the equivalent SQL sent straight to
/// PostgreSQL, on the same seeded database, same bboxes, same run.
/// </summary>
internal static class SearchBench
{
    private const string RawSql = """
        SELECT p.id, ST_X(p.location), ST_Y(p.location), p.captured_at, p.heading, p.exif::text
        FROM pictures p JOIN sequences s ON s.id = p.sequence_id
        WHERE p.location && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326)
          AND p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL
          AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL
        ORDER BY p.location <-> ST_SetSRID(ST_MakePoint(@cx, @cy), 4326)
        LIMIT 100
        """;

    public static async Task RunAsync(int pictures, int sequences, int queries)
    {
        await using var db = await BenchDatabase.CreateAsync();
        Console.WriteLine($"search: seeding {pictures:N0} pictures in {sequences:N0} sequences…");
        var plan = Seeder.Plan(pictures, sequences);
        await Seeder.SeedAsync(db.DataSource, plan);
        await db.ExecAsync("VACUUM ANALYZE");

        var dataDir = Path.Combine(Path.GetTempPath(), $"panoramax-bench-host-{Environment.ProcessId}");
        await using var app = await PanoramaxApp.CreateAsync([
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:Panoramax={db.ConnectionString}",
            $"--Panoramax:DataDirectory={dataDir}",
            "--Panoramax:Admin:InitialPassword=bench-admin-password",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        // Bboxes of ~1.1 km around random seeded pictures: dense enough to fill the 100 results.
        var rng = new Random(7);
        var boxes = Enumerable.Range(0, queries).Select(_ =>
        {
            var s = plan[rng.Next(plan.Count)];
            var c = s.Coords[rng.Next(s.Coords.Length)];
            return (c.X - 0.005, c.Y - 0.005, c.X + 0.005, c.Y + 0.005);
        }).ToList();

        // Warm both paths (JIT, pools, caches) before measuring.
        foreach (var b in boxes.Take(50))
        {
            await HttpOnce(http, b);
            await SqlOnce(db.DataSource, b);
        }
        var api = new List<double>();
        var sql = new List<double>();
        var query = new List<double>();
        var json = new List<double>();
        var linkBuilder = new Server.Http.LinkBuilder(new Microsoft.AspNetCore.Http.HttpContextAccessor(),
            Microsoft.Extensions.Options.Options.Create(new PanoramaxOptions { PublicUrl = new Uri(address) }));
        var results = 0;
        foreach (var b in boxes)
        {
            // Interleaved so that machine noise hits both sides alike.
            var sw = Stopwatch.StartNew();
            results += await HttpOnce(http, b);
            api.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            await SqlOnce(db.DataSource, b);
            sql.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            var rows = await QueryLayerOnce(db.DataSource, b);
            query.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            using (var buffer = new MemoryStream())
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                writer.WriteStartArray();
                foreach (var row in rows)
                {
                    Server.Stac.StacItemJson.Write(writer, row, linkBuilder, "CC-BY-SA-4.0");
                }
                writer.WriteEndArray();
            }
            json.Add(sw.Elapsed.TotalMilliseconds);
        }
        await app.StopAsync();
        if (Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }

        Console.WriteLine(FormattableString.Invariant($"queries: {queries}, average features per answer: {results / (double)queries:F1}"));
        Console.WriteLine(FormattableString.Invariant($"raw SQL        p50 {Pct(sql, 50):F2} ms  p95 {Pct(sql, 95):F2} ms"));
        Console.WriteLine(FormattableString.Invariant($"ItemQuery only p50 {Pct(query, 50):F2} ms  p95 {Pct(query, 95):F2} ms  (our item SQL with visibility, owner and tags, no HTTP/JSON)"));
        Console.WriteLine(FormattableString.Invariant($"JSON build+serialise p50 {Pct(json, 50):F2} ms  p95 {Pct(json, 95):F2} ms  (no HTTP)"));
        Console.WriteLine(FormattableString.Invariant($"/api/search    p50 {Pct(api, 50):F2} ms  p95 {Pct(api, 95):F2} ms"));
        Console.WriteLine(FormattableString.Invariant($"ratio api/sql  p50 {Pct(api, 50) / Pct(sql, 50):F2}x  p95 {Pct(api, 95) / Pct(sql, 95):F2}x  (goal ≤ 1.5x, p95 ≤ 30 ms)"));
    }

    private static async Task<int> HttpOnce(HttpClient http, (double, double, double, double) b)
    {
        var url = FormattableString.Invariant($"/api/search?bbox={b.Item1:F7},{b.Item2:F7},{b.Item3:F7},{b.Item4:F7}&limit=100");
        using var response = await http.GetAsync(url);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync();
        return body.Split("\"type\":\"Feature\"").Length - 1;
    }

    private static Task<List<Persistence.Queries.ItemRow>> QueryLayerOnce(NpgsqlDataSource db, (double, double, double, double) b) =>
        Persistence.Queries.ItemQuery.ReadAsync(db, Domain.Visibility.Viewer.Anonymous,
            new Persistence.Queries.ItemFilter { Bbox = b, WithNeighbours = false }, Persistence.Queries.ItemOrder.Distance, 100,
            ((b.Item1 + b.Item3) / 2, (b.Item2 + b.Item4) / 2), CancellationToken.None);

    private static async Task SqlOnce(NpgsqlDataSource db, (double, double, double, double) b)
    {
        await using var cmd = db.CreateCommand(RawSql);
        cmd.Parameters.AddWithValue("minx", b.Item1);
        cmd.Parameters.AddWithValue("miny", b.Item2);
        cmd.Parameters.AddWithValue("maxx", b.Item3);
        cmd.Parameters.AddWithValue("maxy", b.Item4);
        cmd.Parameters.AddWithValue("cx", (b.Item1 + b.Item3) / 2);
        cmd.Parameters.AddWithValue("cy", (b.Item2 + b.Item4) / 2);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
        }
    }

    private static double Pct(List<double> values, int p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
    }
}
