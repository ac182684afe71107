using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Panoramax.Server.Hosting;

namespace Panoramax.Bench;

/// <summary>
/// Upload throughput on loopback: <c>files</c> pictures (a 3 MB 3840×2160 JPEG made unique by a trailing byte) sent by
/// <c>clients</c> parallel clients into one upload set, against the same bytes POSTed as multipart to a route that only
/// drains the body, in the same host and run. No job worker (role api): this measures the upload path alone.
/// </summary>
public static class UploadBench
{
    public static async Task<int> RunAsync(int files, int clients)
    {
        await using var host = await UploadHost.StartAsync(app => app.MapPost("/bench/drain", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            return Results.Accepted();
        }).DisableAntiforgery());
        using var http = host.Client();
        var payloads = UploadHost.Payloads(files);
        var totalMb = payloads.Sum(p => (long)p.Length) / 1e6;
        Console.WriteLine($"upload: {files} files of {payloads[0].Length / 1e6:0.0} MB ({totalMb:0} MB), {clients} parallel clients");

        var baseline = await SendAllAsync(http, payloads, clients, _ => "/bench/drain");
        var set = await UploadHost.CreateSetAsync(http, "bench", files);
        var upload = await SendAllAsync(http, payloads, clients, _ => $"/api/upload_sets/{set}/files");

        Console.WriteLine($"  baseline (multipart drained)  {baseline.TotalSeconds,7:0.00} s  {totalMb / baseline.TotalSeconds,7:0.0} MB/s");
        Console.WriteLine($"  upload API (202 each)          {upload.TotalSeconds,7:0.00} s  {totalMb / upload.TotalSeconds,7:0.0} MB/s  ({files / upload.TotalSeconds:0.0} files/s)");
        Console.WriteLine($"  ratio upload / baseline time   {upload.TotalSeconds / baseline.TotalSeconds:0.00}x");
        return 0;
    }

    /// <summary>The raw client: every payload POSTed as multipart part <c>file</c> by <paramref name="clients"/> parallel loops.</summary>
    internal static async Task<TimeSpan> SendAllAsync(HttpClient http, byte[][] payloads, int clients, Func<int, string> path)
    {
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < payloads.Length)
            {
                using var form = new MultipartFormDataContent();
                var content = new ByteArrayContent(payloads[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(content, "file", $"IMG_{i:D4}.jpg");
                using var response = await http.PostAsync(path(i), form);
                if ((int)response.StatusCode != 202)
                {
                    throw new InvalidOperationException($"file {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));
        return sw.Elapsed;
    }
}

/// <summary>
/// A host for the upload benchmarks: its own embedded database and data folder, role <c>api</c> (no job worker),
/// anonymous uploads (owned by the default account), on a free loopback port.
/// </summary>
internal sealed class UploadHost : IAsyncDisposable
{
    private readonly BenchDatabase _db;
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private UploadHost(BenchDatabase db, WebApplication app, string dataDir, Uri baseUrl)
    {
        _db = db;
        _app = app;
        _dataDir = dataDir;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public static async Task<UploadHost> StartAsync(Action<WebApplication>? configure = null)
    {
        var db = await BenchDatabase.CreateAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), $"panoramax-bench-upload-{Environment.ProcessId}");
        var app = await PanoramaxApp.CreateAsync([
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:Panoramax={db.ConnectionString}",
            $"--Panoramax:DataDirectory={dataDir}",
            "--Panoramax:Role=api",
            "--Panoramax:Auth:ForceAuthOnUpload=false",
            "--Panoramax:Admin:InitialPassword=bench-admin-password",
            "--Logging:LogLevel:Default=Warning",
        ]);
        configure?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new UploadHost(db, app, dataDir, new Uri(address));
    }

    public HttpClient Client() => new() { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(5) };

    /// <summary><paramref name="count"/> distinct pictures: a real 3 MB JPEG with the number <c>first + i</c> appended.</summary>
    public static byte[][] Payloads(int count, int first = 0)
    {
        var source = File.ReadAllBytes(Path.Combine(BenchPaths.SharedDir(), "data", "b-mapillary-tools", "DSC00001.JPG"));
        return [.. Enumerable.Range(first, count).Select(i => source.Concat(BitConverter.GetBytes(i)).ToArray())];
    }

    public static async Task<string> CreateSetAsync(HttpClient http, string title, int files)
    {
        using var created = await http.PostAsJsonAsync("/api/upload_sets", new { title, estimated_nb_files = files });
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        await _db.DisposeAsync();
    }
}
