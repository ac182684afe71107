using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Panoramax.Bench;

/// <summary>
/// The real server program (<c>dotnet panoramax.dll</c>) as a child process, so that its memory is its own: resident
/// set and peak (VmRSS, VmHWM) read from <c>/proc/&lt;pid&gt;/status</c>.
/// </summary>
internal sealed class ServerChild : IDisposable
{
    private readonly StringBuilder _log = new();

    private ServerChild(Process process, Uri baseUrl, string grpcUrl)
    {
        Process = process;
        BaseUrl = baseUrl;
        GrpcUrl = grpcUrl;
    }

    public Process Process { get; }
    public Uri BaseUrl { get; }
    public string GrpcUrl { get; }

    /// <summary>Starts an instance on free HTTP and gRPC ports and waits until <c>/api</c> answers.</summary>
    public static async Task<ServerChild> StartAsync(string name, string connectionString, string dataDir)
    {
        var (http, grpc) = (FreePort(), FreePort());
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ServerDll());
        psi.ArgumentList.Add($"--urls=http://127.0.0.1:{http}");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["ConnectionStrings__Panoramax"] = connectionString;
        psi.Environment["Panoramax__DataDirectory"] = dataDir;
        psi.Environment["Panoramax__Instance__Name"] = name;
        psi.Environment["Panoramax__Admin__InitialPassword"] = "bench-admin-password";
        psi.Environment["Panoramax__Blurring__Enabled"] = "false";
        psi.Environment["Panoramax__Federation__GrpcUrl"] = $"http://127.0.0.1:{grpc}";
        psi.Environment["Panoramax__Federation__SealInterval"] = "00:00:01";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var child = new ServerChild(new Process { StartInfo = psi }, new Uri($"http://127.0.0.1:{http}/"), $"http://127.0.0.1:{grpc}");
        var p = child.Process;
        p.OutputDataReceived += (_, e) => child.Append(e.Data);
        p.ErrorDataReceived += (_, e) => child.Append(e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = child.BaseUrl };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (p.HasExited || waited.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new InvalidOperationException($"the server did not start: {child.LogTail()}");
            }
            try
            {
                using var r = await client.GetAsync(new Uri("/api", UriKind.Relative));
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return child;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Current and peak resident set of the child, in bytes.</summary>
    public (long RssBytes, long PeakBytes) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
        }
        return (rss * 1024, peak * 1024);
    }

    /// <summary>Samples the child's RSS every 100 ms until stopped; the result is the highest sample.</summary>
    public RssSampler SampleRss() => new(this);

    /// <summary>SIGTERM (graceful shutdown), then waits for the exit.</summary>
    public async Task StopAsync()
    {
        if (!Process.HasExited)
        {
            _ = Kill(Process.Id, 15);
            await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }
    }

    public string LogTail()
    {
        lock (_log)
        {
            var text = _log.ToString();
            return text.Length > 4000 ? text[^4000..] : text;
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }
        Process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
            // PANORAMAX_BENCH_CHILD_LOG=file keeps the child's whole log (e.g. the applier's per-batch timings at Debug).
            if (Environment.GetEnvironmentVariable("PANORAMAX_BENCH_CHILD_LOG") is { Length: > 0 } file)
            {
                File.AppendAllText(file, line + Environment.NewLine);
            }
        }
    }

    /// <summary>The server program built beside this bench (a referenced executable project), else the server's own output.</summary>
    private static string ServerDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "panoramax.dll");
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "panoramax.runtimeconfig.json")))
        {
            return beside;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var server = Path.Combine(dir.FullName, "src", "Panoramax.Server", "bin", "Release", "net10.0", "panoramax.dll");
            if (File.Exists(server))
            {
                return server;
            }
        }
        throw new InvalidOperationException("panoramax.dll not found: build the solution in Release first");
    }

    private static long Kilobytes(string statusLine) =>
        long.Parse(statusLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    internal sealed class RssSampler
    {
        private readonly Task<long> _loop;
        private volatile bool _running = true;

        public RssSampler(ServerChild child)
        {
            _loop = Task.Run(async () =>
            {
                long max = 0;
                while (_running && !child.Process.HasExited)
                {
                    max = Math.Max(max, child.Memory().RssBytes);
                    await Task.Delay(100);
                }
                return max;
            });
        }

        public Task<long> StopAsync()
        {
            _running = false;
            return _loop;
        }
    }
}
