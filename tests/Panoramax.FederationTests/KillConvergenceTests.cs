using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>
/// B is the real server program, pulling a backlog of A's changes; it is killed with SIGKILL mid-stream and started
/// again on the same database: it must end with exactly A's records, same versions, nothing twice, nothing missing.
/// </summary>
public sealed class KillConvergenceTests : IAsyncLifetime
{
    private const int Sequences = 40;
    private const int PicturesPerSequence = 100;
    private static readonly DateTimeOffset Day = new(2024, 6, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly FederatedInstance _a = new("alpha");
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-killb-{Guid.NewGuid():N}");
    private string _bDatabase = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_workDir);
        await _a.InitializeAsync();
        _bDatabase = await TestCluster.CreateDatabaseAsync("killb");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await TestCluster.DropDatabaseAsync(_bDatabase);
        Directory.Delete(_workDir, recursive: true);
    }

    [Fact]
    public async Task Peer_killed_mid_stream_converges_to_the_origin_after_restart_without_duplicates()
    {
        for (var i = 0; i < Sequences; i++)
        {
            await _a.PublishAsync(TestData.Walk(2.0 + (i * 0.01), 48.5, Day.AddHours(i), PicturesPerSequence), title: $"walk {i}");
        }
        const int total = Sequences * PicturesPerSequence;
        var grpcPort = ServerProcess.FreePort();
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Panoramax"] = _bDatabase,
            ["Panoramax__DataDirectory"] = Path.Combine(_workDir, "var"),
            ["Panoramax__Admin__InitialPassword"] = TestInstance.AdminPassword,
            ["Panoramax__Instance__Name"] = "bravo",
            // A pinned this address: the restarted B must come back on it.
            ["Panoramax__Federation__GrpcUrl"] = $"http://127.0.0.1:{grpcPort}",
            ["Panoramax__Federation__SyncInterval"] = "00:00:01",
            ["Panoramax__Blurring__Enabled"] = "false",
        };

        long atKill;
        using (var first = await ServerProcess.StartAsync(_workDir, settings))
        {
            var added = await _a.WithAdminAsync(admin => admin.AddAsync($"http://127.0.0.1:{grpcPort}", CancellationToken.None));
            await ConfirmOnBAsync(first.BaseUrl, _a.Id);
            Assert.NotNull(await _a.WithAdminAsync(admin => admin.ConfirmAsync(added.Id, CancellationToken.None)));

            await WaitAsync(async () => await CountOnBAsync("pictures") > 0, TimeSpan.FromSeconds(60), "B starts applying A's backlog", first, pollMs: 20);
            await first.KillHardAsync();
            atKill = await CountOnBAsync("pictures");
        }
        Assert.True(atKill < total, $"the kill came too late to test anything ({atKill}/{total} applied)");

        using (var second = await ServerProcess.StartAsync(_workDir, settings))
        {
            await WaitAsync(async () => await CountOnBAsync("pictures") == total, TimeSpan.FromSeconds(180),
                $"B converges after the restart ({atKill} of {total} were applied at the kill)", second);
            foreach (var table in new[] { "pictures", "sequences" })
            {
                var onA = await VersionsAsync(_a.ConnectionString, table);
                var onB = await VersionsAsync(_bDatabase, table);
                Assert.Equal(onA.Count, onB.Count);
                Assert.Equal(onA.OrderBy(kv => kv.Key), onB.OrderBy(kv => kv.Key));
            }
            await second.StopAsync();
        }
    }

    /// <summary>B's admin confirms A, through B's HTTP admin API as a person would.</summary>
    private static async Task ConfirmOnBAsync(Uri b, Guid a)
    {
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = b };
        using (var login = await http.PostAsJsonAsync("/api/auth/local/login", new { name = "admin", password = TestInstance.AdminPassword }))
        {
            Assert.True(login.IsSuccessStatusCode, await login.Content.ReadAsStringAsync());
        }
        await WaitAsync(async () =>
        {
            var peers = JsonDocument.Parse(await http.GetStringAsync("/api/admin/peers")).RootElement.GetProperty("peers");
            return peers.EnumerateArray().Any(p => p.GetProperty("id").GetGuid() == a);
        }, TimeSpan.FromSeconds(30), "B lists A as pending after A's Hello", null);
        using var confirm = await http.PostAsync($"/api/admin/peers/{a}/confirm", null);
        Assert.True(confirm.IsSuccessStatusCode, await confirm.Content.ReadAsStringAsync());
    }

    private async Task<long> CountOnBAsync(string table)
    {
        await using var conn = new NpgsqlConnection(_bDatabase);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE origin_instance_id = @a", conn);
        cmd.Parameters.AddWithValue("a", _a.Id);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<Dictionary<Guid, long>> VersionsAsync(string connectionString, string table)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT id, version FROM {table} WHERE origin_instance_id = @a AND deleted_at IS NULL", conn);
        cmd.Parameters.AddWithValue("a", _a.Id);
        var versions = new Dictionary<Guid, long>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetGuid(0), reader.GetInt64(1));
        }
        return versions;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, ServerProcess? server, int pollMs = 200)
    {
        var deadline = TimeProvider.System.GetUtcNow() + timeout;
        while (!await condition())
        {
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:F0} s waiting for: {what}{(server is null ? "" : $"; log: {server.Log}")}");
            }
            await Task.Delay(pollMs);
        }
    }
}
