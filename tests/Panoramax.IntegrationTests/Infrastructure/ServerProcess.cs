using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>
/// The real server program (<c>dotnet panoramax.dll</c> from the test's bin folder) as a child process, for tests that
/// must kill it (SIGKILL mid-work) and start it again on the same database and data folder.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly StringBuilder _log;

    private ServerProcess(Process process, StringBuilder log, Uri baseUrl)
    {
        Process = process;
        _log = log;
        BaseUrl = baseUrl;
    }

    public Process Process { get; }

    /// <summary>
    /// Standard output and error of the process so far, for assertion messages. Read under the lock the output handlers
    /// append under: reading the builder while a line arrives failed once with an ArgumentOutOfRangeException.
    /// </summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public Uri BaseUrl { get; }

    /// <summary>Starts the server on a free HTTP port with <paramref name="settings"/> as environment variables
    /// (<c>Panoramax__…</c>, <c>ConnectionStrings__…</c>) and waits until <c>/api</c> answers.</summary>
    public static async Task<ServerProcess> StartAsync(string workDir, IReadOnlyDictionary<string, string> settings, int? port = null)
    {
        port ??= FreePort();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "panoramax.dll"));
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Federation's gRPC endpoint on a free port unless the test chose one: hosts must never fight over 5001.
        psi.Environment["Panoramax__Federation__GrpcUrl"] = "http://127.0.0.1:0";
        foreach (var (key, value) in settings)
        {
            psi.Environment[key] = value;
        }
        var log = new StringBuilder();
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        p.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var server = new ServerProcess(p, log, new Uri($"http://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (p.HasExited)
            {
                Assert.Fail($"server exited: {server.Log}");
            }
            if (waited.Elapsed > TimeSpan.FromSeconds(90))
            {
                Assert.Fail($"server did not start: {server.Log}");
            }
            try
            {
                using var r = await http.GetAsync("/api");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut or an OOM kill.</summary>
    public async Task KillHardAsync()
    {
        Assert.Equal(0, Kill(Process.Id, 9));
        await Process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits for the graceful shutdown.</summary>
    public async Task StopAsync()
    {
        Assert.Equal(0, Kill(Process.Id, 15));
        await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }
        Process.Dispose();
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
