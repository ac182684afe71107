using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Persistence;
using Panoramax.Server.Hosting;

namespace Panoramax.Bench;

/// <summary>
/// <c>/api/search?bbox=…&amp;limit=100</c> through the real HTTP host vs the equivalent SQL sent straight to
/// PostgreSQL, on the same seeded database, same bboxes, same run.
/// </summary>
internal static class SearchBench
{
    /// <summary>
    /// The baseline: the SQL a hand-written client would send for the same answer, i.e. every value the STAC items
    /// carry (picture columns, the sequence's licence and tags, the owner's name), the same visibility conditions,
    /// the same bbox and order, read fully with typed getters. Nothing is turned into JSON by PostgreSQL.
    /// </summary>
    private const string BaselineSql = """
        SELECT p.id, p.sequence_id, p.rank, ST_X(p.location), ST_Y(p.location), p.captured_at, p.capture_utc_offset_minutes,
               p.heading, p.pitch, p.roll, p.kind, p.camera_make, p.camera_model, p.focal_length_mm, p.field_of_view_deg,
               p.width, p.height, p.gps_accuracy_m, p.horizontal_pixel_density, p.original_file_name, p.original_file_size,
               p.status, p.visibility, coalesce(p.license, s.license), p.exif::text, p.semantics::text, s.semantics::text,
               p.tile_cols, p.tile_rows, p.created_at, p.updated_at, p.account_id, a.name
        FROM pictures p JOIN sequences s ON s.id = p.sequence_id JOIN accounts a ON a.id = p.account_id
        WHERE p.location && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326)
          AND p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL
          AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL
        ORDER BY p.location <-> ST_SetSRID(ST_MakePoint(@cx, @cy), 4326)
        LIMIT 100
        """;

    /// <summary>The figure earlier runs compared against: 6 columns only (kept so the rows of RESULTS.md stay comparable).</summary>
    private const string BareSql = """
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
        await db.SeedOnceAsync(plan);

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
        // The same conformance bytes from a bare Kestrel (no middleware at all): what any ASP.NET Core server pays.
        var conformance = await http.GetByteArrayAsync("/api/conformance");
        // And one whole search answer (~135 kB), to price moving that many bytes through HTTP on this host.
        var sample = plan[0].Coords[0];
        var answer = await http.GetByteArrayAsync(FormattableString.Invariant(
            $"/api/search?bbox={sample.X - 0.005:F7},{sample.Y - 0.005:F7},{sample.X + 0.005:F7},{sample.Y + 0.005:F7}&limit=100"));
        await using var bareApp = await BareKestrelAsync(conformance, answer);
        using var bareHttp = new HttpClient { BaseAddress = new Uri(bareApp.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        // What browsers (the viewer) do: offer br/gzip and decompress.
        using var httpCompressed = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.All }) { BaseAddress = new Uri(address) };

        // Bboxes of ~1.1 km around random seeded pictures: dense enough to fill the 100 results.
        var rng = new Random(7);
        var boxes = Enumerable.Range(0, queries).Select(_ =>
        {
            var s = plan[rng.Next(plan.Count)];
            var c = s.Coords[rng.Next(s.Coords.Length)];
            return (c.X - 0.005, c.Y - 0.005, c.X + 0.005, c.Y + 0.005);
        }).ToList();

        var linkBuilder = new Server.Http.LinkBuilder(new Microsoft.AspNetCore.Http.HttpContextAccessor(),
            Microsoft.Extensions.Options.Options.Create(new PanoramaxOptions { PublicUrl = new Uri(address) }));
        var results = 0;
        var steps = new (string Name, Func<(double, double, double, double), Task> Run, List<double> Times)[]
        {
            ("api", async b => results += await HttpOnce(http, b), []),
            ("api-br", async b => await HttpOnce(httpCompressed, b), []),
            ("baseline", b => SqlOnce(db.DataSource, BaselineSql, b), []),
            ("baseline-prepared", b => SqlOnce(db.DataSource, BaselineSql, b, prepare: true), []),
            ("bare", b => SqlOnce(db.DataSource, BareSql, b), []),
            ("query", b => QueryLayerOnce(db.DataSource, b), []),
            ("query-server", b => QueryLayerOnce(app.Services.GetRequiredService<NpgsqlDataSource>(), b), []),
            ("query-reads", b => QueryLayerOnce(app.Services.GetRequiredKeyedService<NpgsqlDataSource>(PersistenceExtensions.ReadPool), b), []),
            ("floor", async b => (await http.GetByteArrayAsync("/api/conformance")).Length.GetHashCode(), []),
            ("kestrel", async b => (await bareHttp.GetByteArrayAsync("/api/conformance")).Length.GetHashCode(), []),
            ("kestrel-answer", async b => (await bareHttp.GetByteArrayAsync("/answer")).Length.GetHashCode(), []),
            ("json", async b => JsonOnce(await QueryLayerOnce(db.DataSource, b), linkBuilder), []),
        };
        // For profiling one path alone, e.g. PANORAMAX_BENCH_STEPS=api (comma-separated step names).
        if (Environment.GetEnvironmentVariable("PANORAMAX_BENCH_STEPS") is { Length: > 0 } only)
        {
            steps = steps.Where(x => only.Split(',').Contains(x.Name)).ToArray();
        }
        // Warm every path (JIT, pools, statement caches) and every bbox's pages, on every path's own PostgreSQL backend,
        // with one unmeasured pass over everything. Warming the pages through the baseline alone left the other backends
        // to map those shared buffers on first touch during the measure, and without any page warming the first path to
        // touch a bbox read its pages from the OS (a search then cost twice as much as a warm one).
        foreach (var b in boxes)
        {
            foreach (var step in steps)
            {
                await step.Run(b);
            }
        }
        results = 0;
        // Measured in blocks of 50 bboxes: each path runs the whole block, then the next path, in an order rotated from
        // block to block. A path timed one request at a time between ten others ran with its code and its PostgreSQL
        // backend evicted from the CPU caches by the others (the API, with the most code, paid most: 2.6 ms per search
        // interleaved against 1.8 ms in a run of its own), which a server answering a stream of searches does not pay.
        // The blocks keep each path warm as in steady use, and the rotation still spreads machine noise over every path.
        const int BlockSize = 50;
        for (var block = 0; block * BlockSize < boxes.Count; block++)
        {
            var blockBoxes = boxes.Skip(block * BlockSize).Take(BlockSize).ToList();
            for (var k = 0; k < steps.Length; k++)
            {
                var step = steps[(block + k) % steps.Length];
                foreach (var b in blockBoxes)
                {
                    if (step.Name == "json")
                    {
                        // Only the writing is timed: the rows are read first.
                        var rows = await QueryLayerOnce(db.DataSource, b);
                        var sw0 = Stopwatch.StartNew();
                        JsonOnce(rows, linkBuilder);
                        step.Times.Add(sw0.Elapsed.TotalMilliseconds);
                        continue;
                    }
                    var sw = Stopwatch.StartNew();
                    await step.Run(b);
                    step.Times.Add(sw.Elapsed.TotalMilliseconds);
                }
            }
        }
        await app.StopAsync();
        if (Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }

        List<double> T(string name) => steps.FirstOrDefault(x => x.Name == name).Times is { Count: > 0 } t ? t : [double.NaN];
        var (api, baseline, bare) = (T("api"), T("baseline"), T("bare"));
        Console.WriteLine(FormattableString.Invariant($"queries: {queries}, average features per answer: {results / (double)queries:F1}"));
        Console.WriteLine(FormattableString.Invariant($"baseline SQL   p50 {Pct(baseline, 50):F2} ms  p95 {Pct(baseline, 95):F2} ms  (every value the answer needs, 33 columns, read fully)"));
        Console.WriteLine(FormattableString.Invariant($"baseline prep. p50 {Pct(T("baseline-prepared"), 50):F2} ms  p95 {Pct(T("baseline-prepared"), 95):F2} ms  (the same SQL prepared once per pooled connection, as the server prepares its item queries)"));
        Console.WriteLine(FormattableString.Invariant($"bare SQL       p50 {Pct(bare, 50):F2} ms  p95 {Pct(bare, 95):F2} ms  (6 columns: the baseline of earlier rows)"));
        Console.WriteLine(FormattableString.Invariant($"ItemQuery only p50 {Pct(T("query"), 50):F2} ms  p95 {Pct(T("query"), 95):F2} ms  (our item SQL composition + read, no HTTP/JSON)"));
        Console.WriteLine(FormattableString.Invariant($"ItemQuery, server's pool p50 {Pct(T("query-server"), 50):F2} ms  p95 {Pct(T("query-server"), 95):F2} ms  (the same call on the server's data source, whose pool the background services share)"));
        Console.WriteLine(FormattableString.Invariant($"ItemQuery, read pool p50 {Pct(T("query-reads"), 50):F2} ms  p95 {Pct(T("query-reads"), 95):F2} ms  (the same call on the pool the read routes use)"));
        Console.WriteLine(FormattableString.Invariant($"JSON writing   p50 {Pct(T("json"), 50):F2} ms  p95 {Pct(T("json"), 95):F2} ms  (StacItemJson into a buffer, no HTTP)"));
        Console.WriteLine(FormattableString.Invariant($"HTTP floor     p50 {Pct(T("floor"), 50):F2} ms  p95 {Pct(T("floor"), 95):F2} ms  (GET /api/conformance: the fixed cost of one request on this host)"));
        Console.WriteLine(FormattableString.Invariant($"bare Kestrel   p50 {Pct(T("kestrel"), 50):F2} ms  p95 {Pct(T("kestrel"), 95):F2} ms  (the same bytes from an app with no middleware: the server + client floor)"));
        Console.WriteLine(FormattableString.Invariant($"bare answer    p50 {Pct(T("kestrel-answer"), 50):F2} ms  p95 {Pct(T("kestrel-answer"), 95):F2} ms  (one search answer's {answer.Length:N0} bytes from the bare app: HTTP's share of moving them)"));
        Console.WriteLine(FormattableString.Invariant($"/api/search    p50 {Pct(api, 50):F2} ms  p95 {Pct(api, 95):F2} ms  (HTTP GET, body read fully)"));
        Console.WriteLine(FormattableString.Invariant($"/api/search br p50 {Pct(T("api-br"), 50):F2} ms  p95 {Pct(T("api-br"), 95):F2} ms  (Accept-Encoding: br, gzip as browsers send; client decompresses)"));
        Console.WriteLine(FormattableString.Invariant($"ratio api/baseline p50 {Pct(api, 50) / Pct(baseline, 50):F2}x  p95 {Pct(api, 95) / Pct(baseline, 95):F2}x  (goal ≤ 1.5x, p95 ≤ 30 ms)"));
        Console.WriteLine(FormattableString.Invariant($"ratio api/baseline-prepared p50 {Pct(api, 50) / Pct(T("baseline-prepared"), 50):F2}x  p95 {Pct(api, 95) / Pct(T("baseline-prepared"), 95):F2}x  (both sides prepared)"));
        Console.WriteLine(FormattableString.Invariant($"ratio api-br/baseline p50 {Pct(T("api-br"), 50) / Pct(baseline, 50):F2}x  p95 {Pct(T("api-br"), 95) / Pct(baseline, 95):F2}x"));
        Console.WriteLine(FormattableString.Invariant($"ratio api/bare     p50 {Pct(api, 50) / Pct(bare, 50):F2}x  p95 {Pct(api, 95) / Pct(bare, 95):F2}x"));
    }

    private static async Task<WebApplication> BareKestrelAsync(byte[] conformance, byte[] answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/api/conformance", () => Results.Bytes(conformance, "application/json"));
        app.MapGet("/answer", () => Results.Bytes(answer, "application/geo+json"));
        await app.StartAsync();
        return app;
    }

    private static void JsonOnce(List<Persistence.Queries.ItemRow> rows, Server.Http.LinkBuilder links)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 * 1024);
        using var writer = new System.Text.Json.Utf8JsonWriter(buffer);
        writer.WriteStartArray();
        foreach (var row in rows)
        {
            Server.Stac.StacItemJson.Write(writer, row, links, "CC-BY-SA-4.0");
        }
        writer.WriteEndArray();
        writer.Flush();
    }

    private static async Task<int> HttpOnce(HttpClient http, (double, double, double, double) b)
    {
        var url = FormattableString.Invariant($"/api/search?bbox={b.Item1:F7},{b.Item2:F7},{b.Item3:F7},{b.Item4:F7}&limit=100");
        using var response = await http.GetAsync(url);
        response.EnsureSuccessStatusCode();
        // Read fully as bytes, as the baseline reads every value; counting features is a cheap byte scan.
        var body = await response.Content.ReadAsByteArrayAsync();
        if (Environment.GetEnvironmentVariable("PANORAMAX_BENCH_DUMP") is { Length: > 0 } dump && !File.Exists(dump))
        {
            await File.WriteAllBytesAsync(dump, body);
        }
        return System.MemoryExtensions.Count(body.AsSpan(), "\"type\":\"Feature\""u8);
    }

    private static Task<List<Persistence.Queries.ItemRow>> QueryLayerOnce(NpgsqlDataSource db, (double, double, double, double) b) =>
        Persistence.Queries.ItemQuery.ReadAsync(db, Domain.Visibility.Viewer.Anonymous,
            new Persistence.Queries.ItemFilter { Bbox = b, WithNeighbours = false }, Persistence.Queries.ItemOrder.Distance, 100,
            ((b.Item1 + b.Item3) / 2, (b.Item2 + b.Item4) / 2), CancellationToken.None);

    private static async Task SqlOnce(NpgsqlDataSource db, string sql, (double, double, double, double) b, bool prepare = false)
    {
        await using var conn = await db.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("minx", b.Item1);
        cmd.Parameters.AddWithValue("miny", b.Item2);
        cmd.Parameters.AddWithValue("maxx", b.Item3);
        cmd.Parameters.AddWithValue("maxy", b.Item4);
        cmd.Parameters.AddWithValue("cx", (b.Item1 + b.Item3) / 2);
        cmd.Parameters.AddWithValue("cy", (b.Item2 + b.Item4) / 2);
        if (prepare)
        {
            // As the server prepares its hot item queries: planned once per pooled connection.
            await cmd.PrepareAsync();
        }
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            // Every value decoded with its typed getter, as a client building its answer would.
            for (var c = 0; c < r.FieldCount; c++)
            {
                if (!r.IsDBNull(c))
                {
                    _ = r.GetFieldType(c) switch
                    {
                        var t when t == typeof(Guid) => r.GetGuid(c).GetHashCode(),
                        var t when t == typeof(string) => r.GetString(c).Length,
                        var t when t == typeof(double) => (int)r.GetDouble(c),
                        var t when t == typeof(int) => r.GetInt32(c),
                        var t when t == typeof(short) => r.GetInt16(c),
                        var t when t == typeof(long) => (int)r.GetInt64(c),
                        var t when t == typeof(DateTime) => r.GetFieldValue<DateTimeOffset>(c).Second,
                        _ => r.GetValue(c).GetHashCode(),
                    };
                }
            }
        }
    }

    private static double Pct(List<double> values, int p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
    }
}
