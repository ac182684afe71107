using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Panoramax.Persistence.Embedded;

/// <summary>
/// A private PostgreSQL+PostGIS cluster in a folder of ours (var/pg by default), listening on a free
/// loopback port over TCP only. Reuses the cluster when it is already running, and runs the server
/// programs as the <c>postgres</c> user when we are root (PostgreSQL refuses to run as root).
/// </summary>
public sealed class EmbeddedPostgresCluster
{
    private const string Superuser = "postgres";
    private readonly PostgresBinaries _bin;
    private readonly ILogger _logger;

    private EmbeddedPostgresCluster(string dataDir, PostgresBinaries bin, int port, bool startedByUs, ILogger logger)
    {
        DataDir = dataDir;
        _bin = bin;
        Port = port;
        StartedByUs = startedByUs;
        _logger = logger;
    }

    public string DataDir { get; }
    public int Port { get; }
    /// <summary>False when an already running cluster was reused.</summary>
    public bool StartedByUs { get; }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Database = database,
    }.ConnectionString;

    /// <summary>Initialises the folder if empty, then starts the cluster or reuses the running one.</summary>
    /// <param name="dataDir">Cluster folder; created and initialised when empty.</param>
    /// <param name="logger">Where start/reuse/stop are reported.</param>
    /// <param name="extraSettings">Server settings passed with -c (tests turn fsync off, raise max_connections…).</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<EmbeddedPostgresCluster> StartAsync(string dataDir, ILogger logger, IReadOnlyDictionary<string, string>? extraSettings = null, CancellationToken ct = default)
    {
        var bin = PostgresBinaries.Locate();
        dataDir = Path.GetFullPath(dataDir);
        var asRoot = IsRoot();

        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            await InitAsync(bin, dataDir, asRoot, logger, ct);
        }

        var running = await RunningPortAsync(bin, dataDir, asRoot, ct);
        if (running is int existingPort)
        {
            logger.LogInformation("Reusing the embedded PostgreSQL already running in {DataDir} on port {Port}", dataDir, existingPort);
            return new EmbeddedPostgresCluster(dataDir, bin, existingPort, startedByUs: false, logger);
        }

        var port = FreeLoopbackPort();
        var settings = new Dictionary<string, string>
        {
            ["port"] = port.ToString(CultureInfo.InvariantCulture),
            ["listen_addresses"] = "127.0.0.1",
            // TCP only: a Unix socket path under a deep folder can exceed the 107-byte limit.
            ["unix_socket_directories"] = "''",
        };
        foreach (var (k, v) in extraSettings ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }
        var options = string.Join(' ', settings.Select(kv => $"-c {kv.Key}={kv.Value}"));
        var log = Path.Combine(dataDir, "server.log");
        var (code, output) = await RunAsync(bin.PgCtl, ["-D", dataDir, "-l", log, "-o", options, "-w", "-t", "60", "start"], asRoot, ct);
        if (code != 0)
        {
            var tail = File.Exists(log) ? string.Join('\n', (await File.ReadAllLinesAsync(log, ct)).TakeLast(15)) : "";
            throw new EmbeddedPostgresException($"The embedded PostgreSQL in {dataDir} did not start (pg_ctl exit {code}).\n{output}\n{tail}");
        }
        logger.LogInformation("Started the embedded PostgreSQL {Major} in {DataDir} on 127.0.0.1:{Port}", bin.MajorVersion, dataDir, port);
        return new EmbeddedPostgresCluster(dataDir, bin, port, startedByUs: true, logger);
    }

    /// <summary>Stops the cluster (fast mode: open sessions are rolled back, committed data is safe).</summary>
    public async Task StopAsync(ILogger? logger = null, CancellationToken ct = default)
    {
        var log = logger ?? _logger;
        var (code, output) = await RunAsync(_bin.PgCtl, ["-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop"], IsRoot(), ct);
        if (code == 0)
        {
            log.LogInformation("Stopped the embedded PostgreSQL in {DataDir}", DataDir);
        }
        else
        {
            log.LogWarning("pg_ctl stop for {DataDir} exited {Code}: {Output}", DataDir, code, output);
        }
    }

    /// <summary>Stops whatever cluster runs on this folder (used to clean up after killed processes).</summary>
    /// <returns>True when a running cluster was stopped.</returns>
    public static async Task<bool> StopIfRunningAsync(string dataDir, CancellationToken ct = default)
    {
        var bin = PostgresBinaries.Locate();
        var asRoot = IsRoot();
        if (await RunningPortAsync(bin, dataDir, asRoot, ct) is null)
        {
            return false;
        }
        var (code, _) = await RunAsync(bin.PgCtl, ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"], asRoot, ct);
        return code == 0;
    }

    /// <summary>Creates the database if missing and enables PostGIS in it.</summary>
    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await admin.OpenAsync(ct);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", admin) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", admin);
                await create.ExecuteNonQueryAsync(ct);
            }
        }
        await using var db = new NpgsqlConnection(ConnectionString(database));
        await db.OpenAsync(ct);
        await using var ext = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS postgis", db);
        await ext.ExecuteNonQueryAsync(ct);
    }

    private static async Task InitAsync(PostgresBinaries bin, string dataDir, bool asRoot, ILogger logger, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDir);
        if (Directory.EnumerateFileSystemEntries(dataDir).Any())
        {
            throw new EmbeddedPostgresException($"{dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION). Move its content away or choose another Panoramax:Database:DataDirectory.");
        }
        if (asRoot)
        {
            await GiveToPostgresUserAsync(dataDir, ct);
        }
        logger.LogInformation("Creating the embedded PostgreSQL cluster in {DataDir}", dataDir);
        var (code, output) = await RunAsync(bin.InitDb, ["-D", dataDir, "-U", Superuser, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], asRoot, ct);
        if (code != 0)
        {
            throw new EmbeddedPostgresException($"initdb failed for {dataDir} (exit {code}):\n{output}");
        }
    }

    private static async Task GiveToPostgresUserAsync(string dataDir, CancellationToken ct)
    {
        var (idCode, _) = await RunAsync("id", ["-u", Superuser], asRoot: false, ct);
        if (idCode != 0)
        {
            throw new EmbeddedPostgresException("Running as root needs the 'postgres' system user to own the embedded database; it does not exist. Install the 'postgresql' package (it creates the user) or run as a normal user.");
        }
        await RunAsync("chown", [Superuser, dataDir], asRoot: false, ct);
        await RunAsync("chmod", ["700", dataDir], asRoot: false, ct);
        // The postgres user must be able to walk down to the folder.
        var (reach, _) = await RunAsync("test", ["-w", dataDir], asRoot: true, ct);
        if (reach != 0)
        {
            throw new EmbeddedPostgresException(
                $"The 'postgres' user cannot reach {dataDir} (a parent folder is not searchable by others). " +
                "Give the parent folders o+x, or set Panoramax:Database:DataDirectory to a folder the postgres user can reach.");
        }
    }

    /// <summary>The port of the server running on this folder, or null when none is.</summary>
    private static async Task<int?> RunningPortAsync(PostgresBinaries bin, string dataDir, bool asRoot, CancellationToken ct)
    {
        var pidFile = Path.Combine(dataDir, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }
        var (code, _) = await RunAsync(bin.PgCtl, ["-D", dataDir, "status"], asRoot, ct);
        if (code != 0)
        {
            return null; // stale pid file from a crash: pg_ctl start handles it.
        }
        // postmaster.pid: line 4 is the port.
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        return lines.Length > 3 && int.TryParse(lines[3].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task<(int Code, string Output)> RunAsync(string file, IReadOnlyList<string> args, bool asRoot, CancellationToken ct)
    {
        var psi = asRoot
            ? new ProcessStartInfo("runuser") { ArgumentList = { "-u", Superuser, "--", file } }
            : new ProcessStartInfo(file);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = "/";
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            return (p.ExitCode, (await stdout + await stderr).Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new EmbeddedPostgresException($"Could not run {psi.FileName}: {e.Message}");
        }
    }

    // Environment.UserName is resolved from the effective uid on Unix.
    private static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";
}
