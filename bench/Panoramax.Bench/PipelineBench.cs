using System.Diagnostics;
using System.Globalization;
using NetVips;
using Panoramax.Blurring;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.Imaging;
using Panoramax.Jobs.Processing;
using Panoramax.Storage.FileSystem;

namespace Panoramax.Bench;

/// <summary>
/// The file work of the processing job (<see cref="PictureProcessor"/>: read the upload from the store, blur, SD,
/// thumbnail, 360 tiles, HD, all written back to a filesystem store) on one picture at a time, as the worker runs it
/// with its default concurrency on 2 cores. The database part of the job (a few single-row updates) is left out.
/// Baseline in the same run: libvips' CLI making the same derivatives from the same file.
/// </summary>
internal static class PipelineBench
{
    public static async Task<int> RunAsync(int runs)
    {
        var shared = BenchPaths.SharedDir();
        var work = Directory.CreateTempSubdirectory("panoramax-bench-pipeline-").FullName;
        try
        {
            var flat = MakeFlat12Mp(shared, work);
            var pano = Pano(shared);
            Console.WriteLine($"{Environment.ProcessorCount} cores; best and median of {runs} runs after a warm-up; one picture at a time");

            using var blurrer = NewBlurrer(shared);
            var store = new FileSystemBlobStore(Path.Combine(work, "storage"));
            await store.InitializeAsync(default);
            var processor = new PictureProcessor(store, blurrer, new DerivativeRenderer(Path.Combine(work, "tmp")));

            var tiny = Path.Combine(shared, "data", "b-mapillary-tools", "empty_exif.jpg");
            var startup = Enumerable.Range(0, 3).Select(_ => ImagingBench.Measure("vipsheader", $"\"{tiny}\"")).MinBy(c => c.WallMs);

            foreach (var (label, file, kind) in new[] { ("flat 4000x3000 (12 MP)", flat, PictureKind.Flat), ("360 GSAG2002 5760x2880", pano, PictureKind.Equirectangular) })
            {
                var full = await TimeJobsAsync(processor, store, file, kind, blur: true, runs);
                var derivatives = await TimeJobsAsync(processor, store, file, kind, blur: false, runs);
                var tileSize = kind == PictureKind.Equirectangular ? DerivativeRenderer.TileGridForFile(file).TileWidth : 0;
                var cli = Enumerable.Range(0, runs).Select(i => ImagingBench.Cli(file, kind, Path.Combine(work, $"cli-{i}"), tileSize)).ToList();
                var steps = ImagingBench.CliSteps(file, kind, work, tileSize).Count();
                var cliWall = cli.Min(c => c.WallMs) - (steps * startup.WallMs);
                var cliCpu = cli.Min(c => c.CpuMs) - (steps * startup.CpuMs);
                Console.WriteLine($"{label}:");
                Console.WriteLine(Inv($"  full job (blur + derivatives + storage): best {full.BestWall:F0} ms, median {full.MedianWall:F0} ms wall ({60_000 / full.MedianWall:F1} pictures/minute), {full.BestCpu:F0} ms CPU"));
                Console.WriteLine(Inv($"  job without blur (derivatives + storage): best {derivatives.BestWall:F0} ms wall, {derivatives.BestCpu:F0} ms CPU"));
                Console.WriteLine(Inv($"  CLI same derivatives ({steps} processes, start-up taken out): {cliWall:F0} ms wall, {cliCpu:F0} ms CPU"));
                Console.WriteLine(Inv($"  ratio job-without-blur / CLI: {derivatives.BestWall / cliWall:F2}x wall, {derivatives.BestCpu / cliCpu:F2}x CPU (goal <= 1.3x)"));
            }

            // Peak RSS of one whole job (blur + derivatives) on a 52 MP panorama, in a fresh process.
            var big = Path.Combine(work, "pano-10240.jpg");
            ImagingBench.Run("vips", $"resize \"{pano}\" \"{big}[Q=90]\" {(10240 / 5760.0).ToString("R", CultureInfo.InvariantCulture)}");
            var self = Environment.ProcessPath!;
            var selfArgs = self.EndsWith("dotnet", StringComparison.Ordinal) ? $"\"{typeof(PipelineBench).Assembly.Location}\" " : "";
            var one = ImagingBench.Measure(self, $"{selfArgs}pipeline-one \"{big}\"");
            Console.WriteLine(Inv($"peak RSS of one whole job on {ImagingBench.Header(big)}: {one.MaxRssKb / 1024.0:F0} MB (whole .NET process incl. runtime and models), {one.WallMs:F0} ms wall, {one.CpuMs:F0} ms CPU; goal <= 1 GB: {(one.MaxRssKb <= 1024 * 1024 ? "met" : "NOT met")}"));
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The 12 MP flat test picture: shared/data has none, so the real 3840×2160 DSC00001.JPG resized to 4000×3000.</summary>
    internal static string MakeFlat12Mp(string shared, string work)
    {
        var flat = Path.Combine(work, "flat-12mp.jpg");
        using var src = Image.NewFromFile(Path.Combine(shared, "data", "b-mapillary-tools", "DSC00001.JPG"));
        using var resized = src.Resize(4000.0 / src.Width, vscale: 3000.0 / src.Height);
        resized.Jpegsave(flat, q: 90);
        return flat;
    }

    /// <summary>The GoPro MAX 5760×2880 panorama of the shared data.</summary>
    internal static string Pano(string shared) => Path.Combine(shared, "data", "f-360-gopro-max", "GSAG2002.JPG");

    /// <summary>Child-process entry: one whole job (blur + derivatives + storage) on a file, nothing else.</summary>
    public static async Task<int> RunOneAsync(string source)
    {
        var work = Directory.CreateTempSubdirectory("panoramax-bench-pipeline-one-").FullName;
        try
        {
            using var blurrer = NewBlurrer(BenchPaths.SharedDir());
            var store = new FileSystemBlobStore(Path.Combine(work, "storage"));
            await store.InitializeAsync(default);
            var processor = new PictureProcessor(store, blurrer, new DerivativeRenderer(Path.Combine(work, "tmp")));
            await TimeJobsAsync(processor, store, source, PictureKind.Equirectangular, blur: true, runs: 0);
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    internal static PictureBlurrer NewBlurrer(string shared) => new(new BlurringOptions { ModelDirectory = Path.Combine(shared, "models") });

    internal sealed record Timing(double BestWall, double MedianWall, double BestCpu);

    /// <summary>A warm-up job, then <paramref name="runs"/> measured ones, each on a fresh upload of the same file.</summary>
    internal static async Task<Timing> TimeJobsAsync(PictureProcessor processor, FileSystemBlobStore store, string file, PictureKind kind, bool blur, int runs)
    {
        var walls = new List<double>();
        var cpus = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var id = Guid.NewGuid();
            var upload = StorageKeys.Upload(Guid.NewGuid(), Guid.NewGuid());
            await using (var content = File.OpenRead(file))
            {
                await store.PutAsync(upload, content, "image/jpeg", default);
            }
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            await processor.ProcessAsync(new ProcessRequest(id, upload, kind, blur, KeepOriginal: false), default);
            if (i > 0)
            {
                walls.Add(sw.Elapsed.TotalMilliseconds);
                cpus.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds);
            }
            await processor.DeleteFilesAsync(id, upload, default);
        }
        if (walls.Count == 0)
        {
            return new Timing(0, 0, 0);
        }
        walls.Sort();
        return new Timing(walls[0], walls[walls.Count / 2], cpus.Min());
    }

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);
}
