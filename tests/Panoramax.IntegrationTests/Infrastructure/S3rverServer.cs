using System.Diagnostics;
using System.Globalization;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>
/// A real S3-compatible server (npm s3rver, through tests/tools/s3rver-for-tests.js which also works around
/// s3rver's quirks) on a random loopback port, storing in a temp folder. Start once per test class.
/// </summary>
public sealed class S3rverServer : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private static readonly SemaphoreSlim InstallOnce = new(1, 1);
    private Process? _process;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-s3rver-{Guid.NewGuid():N}");
    public int Port { get; private set; }
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>The settings that make an instance keep its files in <paramref name="bucket"/> of this server.</summary>
    public IEnumerable<KeyValuePair<string, string>> StorageSettings(string bucket) =>
    [
        new("Panoramax:Storage:Kind", "s3"),
        new("Panoramax:Storage:S3:Endpoint", Endpoint),
        new("Panoramax:Storage:S3:UseSsl", "false"),
        new("Panoramax:Storage:S3:AccessKey", AccessKey),
        new("Panoramax:Storage:S3:SecretKey", SecretKey),
        new("Panoramax:Storage:S3:Bucket", bucket),
    ];

    public async Task InitializeAsync()
    {
        var tools = Path.Combine(TestPaths.RepoRoot, "tests", "tools");
        await EnsureInstalledAsync(tools);
        Directory.CreateDirectory(DataDirectory);
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = tools };
        psi.ArgumentList.Add(Path.Combine(tools, "s3rver-for-tests.js"));
        psi.ArgumentList.Add(DataDirectory);
        _process = Process.Start(psi)!;
        var stderr = _process.StandardError.ReadToEndAsync();
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"s3rver did not start: {line} {await stderr}");
        }
        Port = int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    /// <summary>node_modules is not committed: <c>npm ci</c> from the committed lock file when it is missing.</summary>
    private static async Task EnsureInstalledAsync(string tools)
    {
        await InstallOnce.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(tools, "node_modules", "s3rver", "package.json")))
            {
                return;
            }
            var psi = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = tools, RedirectStandardError = true, RedirectStandardOutput = true };
            using var npm = Process.Start(psi)!;
            var output = npm.StandardOutput.ReadToEndAsync();
            var err = await npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync();
            Assert.True(npm.ExitCode == 0, $"npm ci in tests/tools failed: {await output}{err}");
        }
        finally
        {
            InstallOnce.Release();
        }
    }
}
