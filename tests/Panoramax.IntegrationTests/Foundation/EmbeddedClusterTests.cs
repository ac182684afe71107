using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Embedded;

namespace Panoramax.IntegrationTests.Foundation;

public sealed class EmbeddedClusterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-embedded-{Guid.NewGuid():N}");

    public void Dispose()
    {
        EmbeddedPostgresCluster.StopIfRunningAsync(Path.Combine(_dir, "pg")).GetAwaiter().GetResult();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task Cluster_is_created_started_reused_stopped_and_keeps_its_data()
    {
        await TestCluster.GetAsync(); // makes sure the shared parent folder exists with the right mode
        Directory.CreateDirectory(_dir);
        if (Environment.UserName == "root")
        {
            File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        }
        var pg = Path.Combine(_dir, "pg");

        var first = await EmbeddedPostgresCluster.StartAsync(pg, NullLogger.Instance);
        Assert.True(first.StartedByUs);
        await first.EnsureDatabaseAsync("kept");
        await ExecAsync(first.ConnectionString("kept"), "CREATE TABLE marker (v text); INSERT INTO marker VALUES ('still here')");

        var reused = await EmbeddedPostgresCluster.StartAsync(pg, NullLogger.Instance);
        Assert.False(reused.StartedByUs);
        Assert.Equal(first.Port, reused.Port);

        NpgsqlConnection.ClearAllPools();
        await reused.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ExecAsync(first.ConnectionString("kept"), "SELECT 1"));

        var again = await EmbeddedPostgresCluster.StartAsync(pg, NullLogger.Instance);
        Assert.True(again.StartedByUs);
        await using var conn = new NpgsqlConnection(again.ConnectionString("kept"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT v FROM marker", conn);
        Assert.Equal("still here", await cmd.ExecuteScalarAsync());
        await conn.CloseAsync();
        NpgsqlConnection.ClearAllPools();
        await again.StopAsync();
    }

    [Fact]
    public async Task A_folder_with_foreign_content_is_refused_with_a_clear_message()
    {
        var pg = Path.Combine(_dir, "pg");
        Directory.CreateDirectory(pg);
        await File.WriteAllTextAsync(Path.Combine(pg, "holiday.txt"), "not a database");

        var e = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgresCluster.StartAsync(pg, NullLogger.Instance));
        Assert.Contains("holds no PostgreSQL cluster", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(pg, "holiday.txt")));
    }

    private static async Task ExecAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
