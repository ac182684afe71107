using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Pictures;
using Panoramax.Imaging;
using Panoramax.Jobs.Processing;
using Panoramax.Server.Hosting;
using Panoramax.Storage.FileSystem;

namespace Panoramax.Bench;

/// <summary>
/// Pictures per minute through the whole pipeline as a contributor sees it: a real instance (HTTP API + job worker
/// with its default concurrency + blurring with the shared models + filesystem store + PostgreSQL), N pictures
/// uploaded into one upload set, timed until the set reports every picture ready (blurred, derivatives, published).
/// Baseline in the same run: the file work of one processing job (<see cref="PictureProcessor"/>) done one picture
/// at a time in-process, times N; the ratio shows what the queue, the database, HTTP and running two jobs at once add
/// or save.
/// </summary>
internal static class PipelineEndToEndBench
{
    public static async Task<int> RunAsync(int pictures)
    {
        var shared = BenchPaths.SharedDir();
        var work = Directory.CreateTempSubdirectory("panoramax-bench-e2e-").FullName;
        await using var db = await BenchDatabase.CreateAsync();
        await using var app = await PanoramaxApp.CreateAsync([
            "--urls=http://127.0.0.1:0",
            "--Panoramax:Federation:GrpcUrl=http://127.0.0.1:0",
            $"--ConnectionStrings:Panoramax={db.ConnectionString}",
            $"--Panoramax:DataDirectory={Path.Combine(work, "instance")}",
            $"--Panoramax:Blurring:ModelDirectory={Path.Combine(shared, "models")}",
            "--Panoramax:Auth:ForceAuthOnUpload=false",
            "--Panoramax:Admin:InitialPassword=bench-admin-password",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
            Console.WriteLine($"{Environment.ProcessorCount} cores; {pictures} pictures per upload set; worker with its default concurrency");

            using var blurrer = PipelineBench.NewBlurrer(shared);
            var store = new FileSystemBlobStore(Path.Combine(work, "baseline-storage"));
            await store.InitializeAsync(default);
            var processor = new PictureProcessor(store, blurrer, new DerivativeRenderer(Path.Combine(work, "tmp")));

            var flat = PipelineBench.MakeFlat12Mp(shared, work);
            var set = 0;
            foreach (var (label, file, kind) in new[] { ("flat 4000x3000 (12 MP)", flat, PictureKind.Flat), ("360 GSAG2002 5760x2880", PipelineBench.Pano(shared), PictureKind.Equirectangular) })
            {
                var single = await PipelineBench.TimeJobsAsync(processor, store, file, kind, blur: true, runs: 3);
                var (upload, ready) = await UploadUntilReadyAsync(http, file, pictures, set++);
                var baseline = single.MedianWall * pictures / 1000;
                Console.WriteLine($"{label}:");
                Console.WriteLine(Inv($"  end to end: {pictures} uploaded in {upload:F1} s, all ready after {ready:F1} s = {pictures * 60 / ready:F1} pictures/minute"));
                Console.WriteLine(Inv($"  baseline: one job's file work at a time, median {single.MedianWall:F0} ms x {pictures} = {baseline:F1} s = {pictures * 60 / baseline:F1} pictures/minute"));
                Console.WriteLine(Inv($"  ratio end-to-end / baseline time: {ready / baseline:F2}x"));
            }
            return 0;
        }
        finally
        {
            await app.StopAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Sends <paramref name="count"/> copies of a picture (unique bytes, positions 30 m and 5 s apart, so none is a
    /// duplicate), two at a time, then polls the upload set until it is ready; returns both times from the first byte.</summary>
    private static async Task<(double Upload, double Ready)> UploadUntilReadyAsync(HttpClient http, string file, int count, int setIndex)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        using var created = await http.PostAsJsonAsync("/api/upload_sets", new { title = $"e2e {setIndex}", estimated_nb_files = count, split_distance = 1000, split_time = 3600 });
        var set = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var start = new DateTimeOffset(2024, 6, 1, 10, 0, 0, TimeSpan.Zero);
        var sw = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var form = new MultipartFormDataContent();
                var content = new ByteArrayContent([.. bytes, .. BitConverter.GetBytes(i), (byte)setIndex]);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(content, "file", $"IMG_{i:D4}.jpg");
                form.Add(new StringContent(Inv($"{2.35 + (i * 0.0004):F6}")), "override_longitude");
                form.Add(new StringContent(Inv($"{48.85 + (setIndex * 0.01):F6}")), "override_latitude");
                form.Add(new StringContent(start.AddSeconds(i * 5).ToString("O", CultureInfo.InvariantCulture)), "override_capture_time");
                using var response = await http.PostAsync($"/api/upload_sets/{set}/files", form);
                if ((int)response.StatusCode != 202)
                {
                    throw new InvalidOperationException($"file {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));
        var upload = sw.Elapsed.TotalSeconds;
        while (true)
        {
            var status = JsonDocument.Parse(await http.GetStringAsync($"/api/upload_sets/{set}")).RootElement;
            if (status.GetProperty("ready").GetBoolean())
            {
                var done = status.GetProperty("items_status");
                if (done.GetProperty("prepared").GetInt32() != count)
                {
                    throw new InvalidOperationException($"upload set {set} ready with {done}: expected {count} prepared pictures");
                }
                return (upload, sw.Elapsed.TotalSeconds);
            }
            if (sw.Elapsed > TimeSpan.FromMinutes(20))
            {
                throw new TimeoutException($"upload set {set} not ready after 20 minutes: {status}");
            }
            await Task.Delay(200);
        }
    }

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);
}
