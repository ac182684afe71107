using System.Diagnostics;
using System.Globalization;
using NetVips;
using Panoramax.Domain.Pictures;
using Panoramax.Imaging;

namespace Panoramax.Bench;

/// <summary>
/// Derivative step (SD + thumbnail, + tiles for 360°) against libvips' own command-line tools making the same outputs
/// from the same file in the same run, and the peak RSS of the step on a ≥ 50 MP panorama.
/// </summary>
internal static class ImagingBench
{
    private const int Runs = 5;

    public static async Task<int> RunAsync()
    {
        var shared = BenchPaths.SharedDir();
        var pano = Path.Combine(shared, "data", "f-360-gopro-max", "GSAG2002.JPG");
        var work = Directory.CreateTempSubdirectory("panoramax-bench-imaging-").FullName;
        try
        {
            // No 12 MP flat picture in shared/data: a real photo (Sony action cam, 3840×2160) resized to 4000×3000.
            var flat = Path.Combine(work, "flat-12mp.jpg");
            using (var src = Image.NewFromFile(Path.Combine(shared, "data", "b-mapillary-tools", "DSC00001.JPG")))
            using (var resized = src.Resize(4000.0 / src.Width, vscale: 3000.0 / src.Height))
            {
                resized.Jpegsave(flat, q: 90);
            }
            Console.WriteLine($"libvips (NetVips.Native) {NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}; CLI: {Capture("vips", "--version").Trim()}; {Environment.ProcessorCount} cores");

            // The CLI pays a libvips start-up per process (module loading); measured here so it can be taken out.
            var tiny = Path.Combine(shared, "data", "b-mapillary-tools", "empty_exif.jpg");
            var startups = Enumerable.Range(0, Runs).Select(_ => Measure("vipsheader", $"\"{tiny}\"")).ToList();
            var startup = new Cost(startups.Min(x => x.WallMs), startups.Min(x => x.CpuMs), 0);
            Console.WriteLine(FormattableString.Invariant($"CLI start-up (vipsheader on a 16x16 JPEG): {startup.WallMs:F0} ms wall, {startup.CpuMs:F0} ms CPU per process (best of {Runs})"));

            ReadTime("metadata read of GSAG2002", pano, startup);
            Compare("flat 4000x3000 (SD + thumb)", flat, PictureKind.Flat, work, startup);
            Compare("360 GSAG2002 5760x2880 (SD + thumb + 8x4 tiles)", pano, PictureKind.Equirectangular, work, startup);

            // Peak RSS on ≥ 50 MP panoramas (52 MP and 100 MP), each side in a fresh process measured by /usr/bin/time.
            var self = Environment.ProcessPath!;
            var selfArgs = self.EndsWith("dotnet", StringComparison.Ordinal) ? $"\"{typeof(ImagingBench).Assembly.Location}\" " : "";
            foreach (var width in new[] { 10240, 14142 })
            {
                var big = Path.Combine(work, $"pano-{width}.jpg");
                Run("vips", $"resize \"{pano}\" \"{big}[Q=90]\" {(width / 5760.0).ToString("R", CultureInfo.InvariantCulture)}");
                var bigGrid = DerivativeRenderer.TileGridForFile(big);
                Console.WriteLine($"peak RSS on {Header(big)} ({new FileInfo(big).Length / 1e6:F1} MB JPEG, {bigGrid.Cols}x{bigGrid.Rows} tiles of {bigGrid.TileWidth} px):");
                var ours = Measure(self, $"{selfArgs}imaging-one \"{big}\" \"{Path.Combine(work, $"big-ours-{width}")}\"");
                var cli = Cli(big, PictureKind.Equirectangular, Path.Combine(work, $"big-cli-{width}"), bigGrid.TileWidth);
                Console.WriteLine(FormattableString.Invariant($"  ours: {ours.MaxRssKb / 1024.0:F0} MB peak RSS (whole .NET process incl. runtime), {ours.WallMs:F0} ms wall, {ours.CpuMs:F0} ms CPU"));
                Console.WriteLine(FormattableString.Invariant($"  CLI tools: {cli.MaxRssKb / 1024.0:F0} MB peak RSS (largest of the processes), {cli.WallMs:F0} ms wall, {cli.CpuMs:F0} ms CPU"));
                Console.WriteLine(ours.MaxRssKb <= 1024 * 1024 ? "  goal <= 1 GB: met" : "  goal <= 1 GB: NOT met");
            }
            await Task.CompletedTask;
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Child-process entry for the RSS measurement: one derivative step, nothing else.</summary>
    public static int RunOne(string source, string outDir)
    {
        var meta = new PictureMetadataReader(verifyPixelData: false);
        var kind = meta.Read(source, new PictureOverrides { Latitude = 1, Longitude = 1, CapturedAt = DateTimeOffset.UnixEpoch }).Metadata?.Kind
            ?? PictureKind.Equirectangular;
        Ours(source, kind, outDir);
        return 0;
    }

    private static void Compare(string label, string source, PictureKind kind, string work, Cost startup)
    {
        var grid = kind == PictureKind.Equirectangular ? DerivativeRenderer.TileGridForFile(source) : null;
        // Warm-up: JIT and libvips start-up are not the derivative step.
        Ours(source, kind, Path.Combine(work, "warm"));
        var ours = new List<Cost>();
        var cli = new List<Cost>();
        for (var i = 0; i < Runs; i++)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            Ours(source, kind, Path.Combine(work, $"ours-{i}"));
            ours.Add(new Cost(sw.Elapsed.TotalMilliseconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds, 0));
            cli.Add(Cli(source, kind, Path.Combine(work, $"cli-{i}"), grid?.TileWidth ?? 0));
        }
        // Best of N: the machine is shared, the minimum is the least disturbed run.
        var (oWall, oCpu) = (ours.Min(x => x.WallMs), ours.Min(x => x.CpuMs));
        var (cWall, cCpu) = (cli.Min(x => x.WallMs), cli.Min(x => x.CpuMs));
        var n = CliSteps(source, kind, work, 0).Count();
        var (nWall, nCpu) = (cWall - (n * startup.WallMs), cCpu - (n * startup.CpuMs));
        Console.WriteLine(label + ":");
        Console.WriteLine(FormattableString.Invariant($"  wall: ours {oWall:F0} ms; CLI ({n} processes) {cWall:F0} ms, {Net(nWall)} without start-up; ratio {oWall / cWall:F2}x, {Ratio(oWall, nWall)} without start-up"));
        Console.WriteLine(FormattableString.Invariant($"  CPU:  ours {oCpu:F0} ms; CLI {cCpu:F0} ms, {Net(nCpu)} without start-up; ratio {oCpu / cCpu:F2}x, {Ratio(oCpu, nCpu)} without start-up (goal <= 1.3x)"));
    }

    /// <summary>Upload-time check: EXIF/XMP parsing plus the 1/8-scale decode that catches truncated files.</summary>
    private static void ReadTime(string label, string source, Cost startup)
    {
        var reader = new PictureMetadataReader();
        reader.Read(source);
        var ours = Enumerable.Range(0, Runs).Select(_ =>
        {
            var sw = Stopwatch.StartNew();
            reader.Read(source);
            return sw.Elapsed.TotalMilliseconds;
        }).Min();
        // Same decode check with the CLI: average of the picture loaded at 1/8 scale, failing on truncation.
        var cli = Enumerable.Range(0, Runs).Select(_ => Measure("vips", $"avg \"{source}[shrink=8,fail]\"").WallMs).Min();
        Console.WriteLine(FormattableString.Invariant(
            $"{label} (EXIF/XMP + 1/8-scale decode check): ours {ours:F0} ms; CLI `vips avg [shrink=8,fail]` {cli:F0} ms, {Net(cli - startup.WallMs)} without start-up"));
    }

    // A start-up measured during a load spike can exceed the whole run: then the difference means nothing.
    private static string Net(double ms) => ms > 0 ? FormattableString.Invariant($"{ms:F0} ms") : "n/a (start-up noise)";

    private static string Ratio(double ours, double net) => net > 0 ? FormattableString.Invariant($"{ours / net:F2}x") : "n/a";

    internal readonly record struct Cost(double WallMs, double CpuMs, long MaxRssKb);

    internal static Cost Measure(string tool, string args) => MeasureWithOutput(tool, args).Cost;

    /// <summary><see cref="Measure"/>, also giving the process's standard error (where a child bench reports its own figures).</summary>
    internal static (Cost Cost, string Stderr) MeasureWithOutput(string tool, string args)
    {
        var output = Capture("/usr/bin/time", $"-f \"cost=%e %U %S %M\" {tool} {args}", stderr: true);
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("cost=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("no cost in: " + output);
        var f = line["cost=".Length..].Trim().Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return (new Cost(f[0] * 1000, (f[1] + f[2]) * 1000, (long)f[3]), output);
    }

    private static void Ours(string source, PictureKind kind, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var renderer = new DerivativeRenderer();
        using (var sd = File.Create(Path.Combine(outDir, "sd.jpg")))
        using (var thumb = File.Create(Path.Combine(outDir, "thumb.jpg")))
        {
            renderer.WriteSdAndThumbnail(source, kind, sd, thumb);
        }
        if (kind == PictureKind.Equirectangular)
        {
            var tiles = Directory.CreateDirectory(Path.Combine(outDir, "tiles")).FullName;
            foreach (var tile in renderer.RenderTiles(source))
            {
                File.WriteAllBytes(Path.Combine(tiles, tile.Name + ".jpg"), tile.Jpeg.ToArray());
            }
        }
    }

    /// <summary>The same outputs with the CLI tools: SD, thumbnail (flat: fill + centre crop; 360: 2000×1000 then centre crop), dzsave tiles.</summary>
    internal static Cost Cli(string source, PictureKind kind, string outDir, int tileSize)
    {
        Directory.CreateDirectory(outDir);
        var costs = CliSteps(source, kind, outDir, tileSize).Select(step => Measure(step.Tool, step.Args)).ToList();
        return new Cost(costs.Sum(c => c.WallMs), costs.Sum(c => c.CpuMs), costs.Max(c => c.MaxRssKb));
    }

    internal static IEnumerable<(string Tool, string Args)> CliSteps(string source, PictureKind kind, string outDir, int tileSize)
    {
        yield return ("vipsthumbnail", $"\"{source}\" -s \"2048x>\" -o \"{outDir}/sd.jpg[Q=75]\"");
        if (kind == PictureKind.Equirectangular)
        {
            yield return ("vipsthumbnail", $"\"{source}\" -s \"2000x1000!\" -o \"{outDir}/t2000.v\"");
            yield return ("vips", $"extract_area \"{outDir}/t2000.v\" \"{outDir}/thumb.jpg[Q=75,strip]\" 750 350 500 300");
            yield return ("vips", $"dzsave \"{source}\" \"{outDir}/tiles\" --depth one --tile-size {tileSize} --overlap 0 --suffix .jpg[Q=95,strip]");
        }
        else
        {
            yield return ("vipsthumbnail", $"\"{source}\" -s 500x300 -m centre -o \"{outDir}/thumb.jpg[Q=75,strip]\"");
        }
    }

    internal static void Run(string tool, string args) => Capture(tool, args);

    internal static string Capture(string tool, string args, bool stderr = false)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var result = stderr ? errTask.GetAwaiter().GetResult() : outTask.GetAwaiter().GetResult();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {args} failed ({p.ExitCode}): {errTask.GetAwaiter().GetResult()}");
        }
        return result;
    }

    internal static string Header(string path)
    {
        using var image = Image.NewFromFile(path);
        return $"{image.Width}x{image.Height} ({image.Width * (long)image.Height / 1e6:F0} MP)";
    }
}
