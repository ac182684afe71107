using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Panoramax.Persistence;
using Panoramax.Persistence.Embedded;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>
/// The one throw-away PostgreSQL+PostGIS cluster of a test run, on a random port under
/// /tmp/panoramax-tests/. A template database holds PostGIS and every migration, so a test class gets
/// its own fresh database with a cheap CREATE DATABASE … TEMPLATE. Removed when the test process exits;
/// folders left by killed runs are removed by the next run.
/// </summary>
public static class TestCluster
{
    public const string TemplateDatabase = "panoramax_template";
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "panoramax-tests");
    private static readonly Lazy<Task<EmbeddedPostgresCluster>> Cluster = new(StartAsync);
    private static int _counter;

    public static Task<EmbeddedPostgresCluster> GetAsync() => Cluster.Value;

    /// <summary>Creates an empty database (only PostGIS) or, by default, a copy of the migrated template.</summary>
    public static async Task<string> CreateDatabaseAsync(string hint, bool migrated = true)
    {
        var cluster = await GetAsync();
        var name = $"t_{new string(hint.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())}_{Interlocked.Increment(ref _counter)}_{Environment.ProcessId}";
        await using var admin = new NpgsqlConnection(cluster.ConnectionString("postgres"));
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand(migrated ? $"CREATE DATABASE {name} TEMPLATE {TemplateDatabase}" : $"CREATE DATABASE {name}", admin);
        await cmd.ExecuteNonQueryAsync();
        if (!migrated)
        {
            await cluster.EnsureDatabaseAsync(name);
        }
        return cluster.ConnectionString(name);
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var cluster = await GetAsync();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(cluster.ConnectionString("postgres"));
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<EmbeddedPostgresCluster> StartAsync()
    {
        await RemoveLeftoversAsync();
        var dir = Path.Combine(Root, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        if (Environment.UserName == "root")
        {
            // The postgres user needs to reach the cluster folder.
            File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        }
        var cluster = await EmbeddedPostgresCluster.StartAsync(Path.Combine(dir, "pg"), NullLogger.Instance, new Dictionary<string, string>
        {
            // Durability is pointless for a throw-away cluster; speed is not.
            ["fsync"] = "off",
            ["synchronous_commit"] = "off",
            ["full_page_writes"] = "off",
            ["max_connections"] = "300",
            ["shared_buffers"] = "256MB",
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAndRemove(cluster, dir);

        await cluster.EnsureDatabaseAsync(TemplateDatabase);
        var options = new DbContextOptionsBuilder<PanoramaxDbContext>();
        await using (var dataSource = PersistenceExtensions.BuildPanoramaxDataSource(cluster.ConnectionString(TemplateDatabase)))
        {
            options.UsePanoramaxNpgsql(dataSource);
            await using var db = new PanoramaxDbContext(options.Options);
            await db.Database.MigrateAsync();
        }
        NpgsqlConnection.ClearAllPools();
        return cluster;
    }

    private static void StopAndRemove(EmbeddedPostgresCluster cluster, string dir)
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            cluster.StopAsync().GetAwaiter().GetResult();
        }
        finally
        {
            TryDelete(dir);
        }
    }

    /// <summary>Stops and deletes clusters of test processes that no longer exist (killed runs).</summary>
    private static async Task RemoveLeftoversAsync()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }
        foreach (var dir in Directory.GetDirectories(Root))
        {
            var pidText = Path.GetFileName(dir).Split('-')[0];
            if (int.TryParse(pidText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId && !IsAlive(pid))
            {
                try
                {
                    // A killed run may leave its cluster (or a server's embedded one) running.
                    foreach (var pg in Directory.EnumerateDirectories(dir, "pg", SearchOption.AllDirectories))
                    {
                        await EmbeddedPostgresCluster.StopIfRunningAsync(pg);
                    }
                    TryDelete(dir);
                }
                catch (DirectoryNotFoundException)
                {
                    // Another test run on this machine cleaned it up first.
                }
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
