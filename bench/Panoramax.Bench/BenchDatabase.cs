using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Panoramax.Persistence;
using Panoramax.Persistence.Embedded;

namespace Panoramax.Bench;

/// <summary>A throw-away embedded cluster (or the server given by PANORAMAX_BENCH_CONNECTION) with a migrated database.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgresCluster? _cluster;
    private readonly string? _dir;

    private BenchDatabase(string connectionString, EmbeddedPostgresCluster? cluster, string? dir)
    {
        // Loading a million rows into indexed tables outlasts the default 30 s command timeout.
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 }.ConnectionString;
        ConnectionString = connectionString;
        DataSource = PersistenceExtensions.BuildPanoramaxDataSource(connectionString);
        _cluster = cluster;
        _dir = dir;
    }

    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    public static async Task<BenchDatabase> CreateAsync()
    {
        if (Environment.GetEnvironmentVariable("PANORAMAX_BENCH_CONNECTION") is { Length: > 0 } cs)
        {
            var external = new BenchDatabase(cs, null, null);
            await external.MigrateAsync();
            return external;
        }
        var dir = Path.Combine(Path.GetTempPath(), $"panoramax-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        if (Environment.UserName == "root")
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        }
        var cluster = await EmbeddedPostgresCluster.StartAsync(Path.Combine(dir, "pg"), NullLogger.Instance, new Dictionary<string, string>
        {
            ["shared_buffers"] = "1GB",
            ["maintenance_work_mem"] = "512MB",
            ["max_wal_size"] = "4GB",
            ["synchronous_commit"] = "off",
        });
        await cluster.EnsureDatabaseAsync("bench");
        var db = new BenchDatabase(cluster.ConnectionString("bench"), cluster, dir);
        await db.MigrateAsync();
        return db;
    }

    /// <summary>A second migrated database in the same embedded cluster (a second instance's), by connection string.</summary>
    public async Task<string> CreateSiblingDatabaseAsync(string name)
    {
        if (_cluster is null)
        {
            throw new InvalidOperationException("a second database needs the embedded cluster (unset PANORAMAX_BENCH_CONNECTION)");
        }
        await _cluster.EnsureDatabaseAsync(name);
        var sibling = new BenchDatabase(_cluster.ConnectionString(name), null, null);
        await sibling.MigrateAsync();
        await sibling.DataSource.DisposeAsync();
        return sibling.ConnectionString;
    }

    private async Task MigrateAsync()
    {
        var options = new DbContextOptionsBuilder<PanoramaxDbContext>();
        options.UsePanoramaxNpgsql(DataSource);
        await using var ctx = new PanoramaxDbContext(options.Options);
        await ctx.Database.MigrateAsync();
    }

    /// <summary>
    /// Seeds the plan, except on an external server (PANORAMAX_BENCH_CONNECTION) that already holds exactly that many
    /// pictures: re-running a bench while tuning then skips the minute of seeding (the plan's coordinates are deterministic).
    /// </summary>
    public async Task SeedOnceAsync(IReadOnlyList<Seeder.SequencePlan> plan)
    {
        if (_cluster is null)
        {
            await using var cmd = DataSource.CreateCommand("SELECT count(*) FROM pictures");
            var existing = (long)(await cmd.ExecuteScalarAsync())!;
            if (existing == plan.Sum(s => s.Coords.Length))
            {
                Console.WriteLine($"reusing the {existing:N0} pictures already in the external database");
                return;
            }
        }
        await Seeder.SeedAsync(DataSource, plan);
        await ExecAsync("VACUUM ANALYZE");
    }

    public async Task ExecAsync(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_cluster is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await _cluster.StopAsync();
            Directory.Delete(_dir!, recursive: true);
        }
    }
}
