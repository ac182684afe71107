using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>
/// scripts/network.sh as a user runs it: four real server processes (the chain alpha — bravo — charlie and an
/// aggregator), each with its own embedded PostgreSQL, blurring on, peered through their admin APIs by the script.
/// A picture uploaded on alpha must reach charlie (relayed by bravo) and the aggregator with files on alpha, and
/// Ctrl-C (SIGTERM) must stop everything.
/// </summary>
public sealed class NetworkScriptTests : IAsyncLifetime
{
    private const string Password = "network-test-admin";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-network-{Guid.NewGuid():N}");
    private readonly StringBuilder _output = new();
    private Process? _script;
    private int _basePort;

    private string Url(int instance) => $"http://127.0.0.1:{_basePort + (10 * instance)}";

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        _basePort = FreeBasePort();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_script is { HasExited: false })
        {
            await StopScriptAsync();
        }
        _script?.Dispose();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A cluster still shutting down; the test runner's cleanup removes the folder.
        }
    }

    [Fact]
    public async Task Network_script_starts_a_chain_and_an_aggregator_and_an_upload_on_alpha_reaches_charlie_and_the_aggregator()
    {
        StartScript();
        await WaitForOutputAsync("network: ready", TimeSpan.FromMinutes(8));

        using var alpha = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(Url(0)) };
        using (var login = await alpha.PostAsJsonAsync("/api/auth/local/login", new { name = "admin", password = Password }))
        {
            Assert.True(login.IsSuccessStatusCode, await login.Content.ReadAsStringAsync());
        }
        using var created = await alpha.PostAsJsonAsync("/api/upload_sets", new { title = "Network walk", estimated_nb_files = 1 });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var set = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        using (var form = new MultipartFormDataContent())
        {
            var file = new ByteArrayContent(await File.ReadAllBytesAsync(TestPaths.SharedData("a-exif-samples-arezzo/DSCN0010.jpg")));
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "file", "DSCN0010.jpg");
            using var uploaded = await alpha.PostAsync($"/api/upload_sets/{set}/files", form);
            Assert.True(uploaded.StatusCode == HttpStatusCode.Accepted, await uploaded.Content.ReadAsStringAsync());
        }
        JsonElement done = default;
        await WaitAsync(async () =>
        {
            done = JsonDocument.Parse(await alpha.GetStringAsync($"/api/upload_sets/{set}")).RootElement.Clone();
            return done.GetProperty("ready").GetBoolean();
        }, TimeSpan.FromMinutes(3), "alpha blurs and publishes the upload");
        var sequence = done.GetProperty("associated_collections")[0].GetProperty("id").GetString();
        var items = JsonDocument.Parse(await alpha.GetStringAsync($"/api/collections/{sequence}/items")).RootElement;
        var picture = items.GetProperty("features")[0].GetProperty("id").GetString()!;

        using var anonymous = new HttpClient();
        foreach (var (name, index) in new[] { ("charlie", 2), ("aggregator", 3) })
        {
            JsonElement found = default;
            await WaitAsync(async () =>
            {
                found = JsonDocument.Parse(await anonymous.GetStringAsync($"{Url(index)}/api/search?ids={picture}")).RootElement.Clone();
                return found.GetProperty("features").GetArrayLength() == 1;
            }, TimeSpan.FromMinutes(2), $"{name} serves alpha's picture");
            var hd = found.GetProperty("features")[0].GetProperty("assets").GetProperty("hd").GetProperty("href").GetString()!;
            Assert.StartsWith($"{Url(0)}/api/pictures/{picture}/", hd, StringComparison.Ordinal);
            using var bytes = await anonymous.GetAsync(hd);
            Assert.Equal(HttpStatusCode.OK, bytes.StatusCode);
            Assert.Equal("image/jpeg", bytes.Content.Headers.ContentType?.MediaType);
        }

        await StopScriptAsync();
        Assert.True(_script!.HasExited, "the script stops on SIGTERM");
        for (var i = 0; i < 4; i++)
        {
            Assert.False(await AnswersAsync(Url(i)), $"instance {i} still answers after Ctrl-C; output:\n{Output()}");
        }
    }

    private void StartScript()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(TestPaths.RepoRoot, "scripts", "network.sh")])
        {
            WorkingDirectory = TestPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["PANORAMAX_NETWORK_PORT"] = _basePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PANORAMAX_NETWORK_DIR"] = _dataDir;
        start.Environment["PANORAMAX_NETWORK_ADMIN_PASSWORD"] = Password;
        start.Environment["PANORAMAX_NETWORK_SYNC"] = "00:00:02";
        // The test run built the solution (Release) already.
        start.Environment["PANORAMAX_NETWORK_SKIP_BUILD"] = "1";
        start.Environment["PANORAMAX_SHARED_DIR"] = TestPaths.Shared;
        _script = new Process { StartInfo = start };
        _script.OutputDataReceived += (_, e) => Append(e.Data);
        _script.ErrorDataReceived += (_, e) => Append(e.Data);
        _script.Start();
        _script.BeginOutputReadLine();
        _script.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    private async Task WaitForOutputAsync(string marker, TimeSpan timeout)
    {
        var deadline = TimeProvider.System.GetUtcNow() + timeout;
        while (!Output().Contains(marker, StringComparison.Ordinal))
        {
            Assert.False(_script!.HasExited, $"network.sh stopped before \"{marker}\"; output:\n{Output()}\n{ServerLogs()}");
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"no \"{marker}\" after {timeout}; output:\n{Output()}\n{ServerLogs()}");
            await Task.Delay(500);
        }
    }

    private async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = TimeProvider.System.GetUtcNow() + timeout;
        while (!await condition())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"timed out waiting for: {what}; output:\n{Output()}\n{ServerLogs()}");
            await Task.Delay(500);
        }
    }

    /// <summary>The last lines of each server's log, for a failure message.</summary>
    private string ServerLogs() => string.Join("\n", Directory.Exists(_dataDir)
        ? Directory.GetDirectories(_dataDir).Select(d => Path.Combine(d, "server.log")).Where(File.Exists)
            .Select(f => $"--- {f}\n{string.Join("\n", File.ReadLines(f).TakeLast(15))}")
        : []);

    /// <summary>Ctrl-C as a terminal sends it: SIGTERM to the script, whose trap stops every server (and their databases).</summary>
    private async Task StopScriptAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _script!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await _script.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _script.Kill(entireProcessTree: true);
        }
    }

    private static async Task<bool> AnswersAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync($"{url}/api/health");
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// A base port such that the script's eight ports (base + 10 i and + 1, i = 0..3) are free now. Taken from
    /// 20,000–32,000, below Linux's ephemeral range (32,768 and up): a port picked there could be handed to another
    /// test's outgoing connection or port-0 listener before the script's servers bind it (seen once: "address already in use").
    /// </summary>
    private static int FreeBasePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var candidate = 20_000 + (Random.Shared.Next(0, 1_200) * 10);
            if (Enumerable.Range(0, 4).SelectMany(i => new[] { candidate + (10 * i), candidate + (10 * i) + 1 }).All(IsFree))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("no free port range for the network script");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
