using System.Diagnostics;
using System.Net;
using System.Text;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Foundation;

/// <summary>
/// The real server program with no configuration at all: it must create its own database under
/// var/, serve /api, stop the database on SIGTERM/Ctrl-C and reuse everything on the next start.
/// </summary>
public sealed class ServerProcessTests : IDisposable
{
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-server-{Guid.NewGuid():N}");

    public void Dispose()
    {
        Persistence.Embedded.EmbeddedPostgresCluster.StopIfRunningAsync(Path.Combine(_workDir, "var", "pg")).GetAwaiter().GetResult();
        if (Directory.Exists(_workDir))
        {
            Directory.Delete(_workDir, recursive: true);
        }
    }

    [Fact]
    public async Task Embedded_default_starts_serves_stops_on_sigterm_and_reuses_its_data()
    {
        await TestCluster.GetAsync();
        Directory.CreateDirectory(_workDir);
        if (Environment.UserName == "root")
        {
            File.SetUnixFileMode(_workDir, (UnixFileMode)0b111_101_101);
        }

        var first = await RunUntilStoppedAsync();
        Assert.DoesNotContain("fail:", first, StringComparison.Ordinal);
        Assert.Contains("First start: admin account 'admin' created.", first, StringComparison.Ordinal);
        Assert.Contains("Started the embedded PostgreSQL", first, StringComparison.Ordinal);
        Assert.Contains("Stopped the embedded PostgreSQL", first, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_workDir, "var", "pg", "postmaster.pid")), "the cluster must be stopped with the server");
        Assert.True(File.Exists(Path.Combine(_workDir, "var", "keys", "instance-ed25519.key")));

        var second = await RunUntilStoppedAsync();
        Assert.DoesNotContain("First start", second, StringComparison.Ordinal);
        Assert.DoesNotContain("Creating the embedded PostgreSQL cluster", second, StringComparison.Ordinal);
        Assert.Contains("Stopped the embedded PostgreSQL", second, StringComparison.Ordinal);
    }

    private async Task<string> RunUntilStoppedAsync()
    {
        var port = ServerProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "panoramax.dll"));
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        psi.ArgumentList.Add("--Panoramax:Federation:GrpcUrl=http://127.0.0.1:0");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var output = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        p.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        string Output()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var waited = Stopwatch.StartNew();
            HttpStatusCode? status = null;
            while (waited.Elapsed < TimeSpan.FromSeconds(90) && !p.HasExited)
            {
                try
                {
                    using var r = await http.GetAsync("/api");
                    status = r.StatusCode;
                    break;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }
            Assert.True(status == HttpStatusCode.OK, $"server did not serve /api: {Output()}");
            // Client mistakes are answered, not logged as server failures (an operator reads "fail:" as "look at me").
            using (var missing = await http.GetAsync($"/api/collections/{Guid.NewGuid()}"))
            using (var badJson = await http.PostAsync("/api/search", new StringContent("{", Encoding.UTF8, "application/json")))
            using (var badQuery = await http.GetAsync("/api/search?bbox=1,2,3"))
            {
                Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest], [missing.StatusCode, badJson.StatusCode, badQuery.StatusCode]);
            }

            // SIGTERM takes the same graceful path as Ctrl-C in a terminal. (SIGINT itself cannot be
            // tested reliably: a shell running the test suite in the background makes children ignore it.)
            Assert.Equal(0, Kill(p.Id, 15));
            var exited = p.WaitForExit(60_000);
            Assert.True(exited, $"server did not stop on SIGTERM: {Output()}");
            p.WaitForExit();
            return Output();
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
