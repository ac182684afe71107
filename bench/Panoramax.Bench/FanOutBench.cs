using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Sync;
using Panoramax.Server.Federation;

namespace Panoramax.Bench;

/// <summary>
/// Live federated search fanned out to N peers (issue 10: p95 ≤ 300 ms for 10 peers). One hub and N peers run in this
/// process (own databases in one embedded cluster, real HTTP and gRPC on loopback). Each peer holds seeded pictures
/// that were never written to its change log, so nothing is replicated: only the live fan-out can find them. The hub is
/// asked <c>GET /api/search?federated=live&amp;bbox=…</c> with a bbox over every peer's pictures; every answer is checked
/// (N peer statuses "ok", exactly the expected ids). Baselines in the same run: the hub's local search (same bbox,
/// no fan-out) and one direct Search RPC from the hub to one peer.
/// </summary>
internal static class FanOutBench
{
    private const string Bbox = "-5,42,8,52";
    private const int PicturesPerInstance = 50;

    public static async Task<int> RunAsync(int peers, int queries)
    {
        await using var hubDb = await BenchDatabase.CreateAsync();
        var peerDbs = new List<string>();
        for (var i = 0; i < peers; i++)
        {
            peerDbs.Add(await hubDb.CreateSiblingDatabaseAsync($"bench_peer_{i}"));
        }
        // Every instance holds the same number of pictures (the hub's are what its local search returns).
        var expected = new HashSet<Guid>();
        await Seeder.SeedAsync(hubDb.DataSource, Seeder.Plan(PicturesPerInstance, 5, seed: 1000));
        expected.UnionWith(await IdsAsync(hubDb.DataSource));
        for (var i = 0; i < peers; i++)
        {
            await using var data = Panoramax.Persistence.PersistenceExtensions.BuildPanoramaxDataSource(peerDbs[i]);
            await Seeder.SeedAsync(data, Seeder.Plan(PicturesPerInstance, 5, seed: i));
            expected.UnionWith(await IdsAsync(data));
        }
        Console.WriteLine($"fanout: hub + {peers} peers, {PicturesPerInstance} pictures each ({expected.Count} in all), {queries} queries, bbox {Bbox}");

        var work = Directory.CreateTempSubdirectory("panoramax-bench-fanout-").FullName;
        var apps = new List<WebApplication>();
        try
        {
            // A generous deadline: the bench measures what the fan-out costs, a timeout would only hide it.
            // The bench is one client asking hundreds of live searches: lift the per-client and overall limits.
            var hub = await BenchHosts.StartAsync("hub", hubDb.ConnectionString, Path.Combine(work, "hub"), "--Panoramax:Federation:SearchDeadline=00:00:10",
                "--Panoramax:Federation:LiveSearchesPerClientPerMinute=1000000", "--Panoramax:Federation:LiveSearchesPerMinute=1000000");
            apps.Add(hub);
            for (var i = 0; i < peers; i++)
            {
                apps.Add(await BenchHosts.StartAsync($"peer-{i:D2}", peerDbs[i], Path.Combine(work, $"peer-{i}")));
            }
            foreach (var peer in apps.Skip(1))
            {
                await BenchHosts.ConnectAsync(hub, peer);
            }
            using var http = new HttpClient { BaseAddress = BenchHosts.HttpUrl(hub) };
            var limit = expected.Count + 10;

            // Warm-up (JIT, connection pools, HTTP/2 channels to every peer), checked like every measured call.
            for (var i = 0; i < 5; i++)
            {
                Check(await GetAsync(http, $"/api/search?federated=live&limit={limit}&bbox={Bbox}"), peers, expected);
                await GetAsync(http, $"/api/search?limit={limit}&bbox={Bbox}");
            }

            var local = await TimeAsync(queries, async () =>
            {
                var answer = await GetAsync(http, $"/api/search?limit={limit}&bbox={Bbox}");
                if (answer.GetProperty("features").GetArrayLength() != PicturesPerInstance)
                {
                    throw new InvalidOperationException("the hub's local search did not return its own pictures");
                }
            });

            var rpc = await DirectRpcAsync(hub, apps[1], queries);

            var fanOut = await TimeAsync(queries, async () =>
                Check(await GetAsync(http, $"/api/search?federated=live&limit={limit}&bbox={Bbox}"), peers, expected));

            Console.WriteLine(Inv($"hub local search (no fan-out), {PicturesPerInstance} items: p50 {P(local, 50):F1} ms, p95 {P(local, 95):F1} ms"));
            Console.WriteLine(Inv($"one direct Search RPC hub → peer, {PicturesPerInstance} items: p50 {P(rpc, 50):F1} ms, p95 {P(rpc, 95):F1} ms"));
            Console.WriteLine(Inv($"live federated search on the hub, {peers} peers, {expected.Count} items: p50 {P(fanOut, 50):F1} ms, p95 {P(fanOut, 95):F1} ms (goal p95 <= 300 ms)"));
            Console.WriteLine(Inv($"ratios p95: fan-out / local {P(fanOut, 95) / P(local, 95):F1}x, fan-out / one RPC {P(fanOut, 95) / P(rpc, 95):F1}x; every answer had {peers} peer statuses ok and the {expected.Count} expected items"));
            return P(fanOut, 95) <= 300 ? 0 : 1;
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The Search RPC the hub's fan-out sends, to one peer, with the hub's call token.</summary>
    private static async Task<List<double>> DirectRpcAsync(WebApplication hub, WebApplication peer, int queries)
    {
        var clients = hub.Services.GetRequiredService<PeerClients>();
        Guid hubId, peerId;
        string peerUrl = peer.Services.GetRequiredService<FederationEndpoint>().BoundUrl!;
        await using (var scope = hub.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Panoramax.Persistence.PanoramaxDbContext>();
            hubId = (await db.Instances.SingleAsync(i => i.IsSelf)).Id;
            peerId = (await db.Instances.SingleAsync(i => i.FederationUrl == peerUrl)).Id;
        }
        var client = clients.Client(peerUrl);
        async Task OnceAsync()
        {
            var request = new SearchRequest { RequestId = Guid.NewGuid().ToString(), HopsLeft = 1, Limit = 1000, DeadlineMs = 10_000 };
            request.Bbox.AddRange([-5, 42, 8, 52]);
            var answer = await client.SearchAsync(request, clients.Headers(hubId, peerId), TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10));
            if (answer.Items.Count != PicturesPerInstance)
            {
                throw new InvalidOperationException($"the peer answered {answer.Items.Count} items, expected {PicturesPerInstance}");
            }
        }
        for (var i = 0; i < 5; i++)
        {
            await OnceAsync();
        }
        return await TimeAsync(queries, OnceAsync);
    }

    private static void Check(JsonElement answer, int peers, HashSet<Guid> expected)
    {
        var statuses = answer.GetProperty("federation").GetProperty("peers").EnumerateArray().Select(p => p.GetProperty("status").GetString()).ToList();
        if (statuses.Count != peers || statuses.Any(s => s != "ok"))
        {
            throw new InvalidOperationException($"expected {peers} peer statuses ok, got [{string.Join(", ", statuses)}]");
        }
        var ids = answer.GetProperty("features").EnumerateArray().Select(f => Guid.Parse(f.GetProperty("id").GetString()!)).ToList();
        if (ids.Count != expected.Count || !expected.SetEquals(ids))
        {
            throw new InvalidOperationException($"expected the {expected.Count} seeded pictures, got {ids.Count} items ({ids.Distinct().Count()} distinct)");
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {text}");
        }
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<List<double>> TimeAsync(int count, Func<Task> call)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        times.Sort();
        return times;
    }

    private static double P(List<double> sorted, int percentile) => sorted[Math.Max(0, (int)Math.Ceiling(sorted.Count * percentile / 100.0) - 1)];

    private static async Task<List<Guid>> IdsAsync(NpgsqlDataSource db)
    {
        await using var cmd = db.CreateCommand("SELECT id FROM pictures");
        var ids = new List<Guid>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            ids.Add(r.GetGuid(0));
        }
        return ids;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
