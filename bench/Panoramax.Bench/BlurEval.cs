using System.Diagnostics;
using System.Globalization;
using NetVips;
using Panoramax.Blurring;
using Panoramax.Blurring.Detection;
using Panoramax.Blurring.Evaluation;

namespace Panoramax.Bench;

/// <summary>
/// blur-eval: detection quality on the shared annotated sets, then the cost of the blur step compared with the
/// raw ONNX inference time of the same tiles (measured inside the same calls).
/// </summary>
internal static class BlurEval
{
    public static async Task<int> RunAsync(string[] args)
    {
        var shared = BenchPaths.SharedDir();
        var options = new BlurringOptions { ModelDirectory = Path.Combine(shared, "models") };
        ApplyArgs(options, args);
        using var blurrer = new PictureBlurrer(options);
        blurrer.EnsureAvailable();
        Console.WriteLine(FormattableString.Invariant(
            $"blur-eval: {Environment.ProcessorCount} cores, tile {options.TileSize} overlap {options.TileOverlap}, face input {options.FaceInputSize}, thresholds face {options.ThresholdFor("face")} plate {options.ThresholdFor("plate")}, margin {options.Margin}, tile parallelism {options.TileParallelism} x intra-op {options.IntraOpThreads}"));

        var data = Path.Combine(shared, "data");
        var quality = !args.Contains("timing-only");
        var timing = !args.Contains("quality-only");
        if (quality)
        {
            Quality(blurrer, options, data);
        }
        if (timing)
        {
            Console.WriteLine();
            var flat = MakeFlat12Mp(Path.Combine(data, "c-immich-formats", "empty_gps.jpg"));
            await TimeAsync(blurrer, "flat 4000x3000 (12 MP)", flat, false);
            var pano = await File.ReadAllBytesAsync(Path.Combine(data, "f-360-gopro-max", "GSAG2002.JPG"));
            await TimeAsync(blurrer, "360 5760x2880 GSAG2002", pano, true);
        }
        return 0;
    }

    private static void Quality(PictureBlurrer blurrer, BlurringOptions options, string data)
    {
        var faces = new DetectionScore();
        foreach (var pic in GroundTruth.ReadDlibXml(Path.Combine(data, "e-faces-dlib", "training.xml")))
        {
            var found = DetectFile(blurrer, pic.Path, DetectionClasses.Face);
            faces.Add(pic.Objects, found, 0.3, options.Margin);
            Console.WriteLine($"  {Path.GetFileName(pic.Path)}: {pic.Objects.Count} faces, {found.Count} detections");
        }
        var plates = new DetectionScore();
        foreach (var pic in GroundTruth.ReadOpenAlprFolder(Path.Combine(data, "d-plates-eu")))
        {
            var found = DetectFile(blurrer, pic.Path, DetectionClasses.Plate);
            plates.Add(pic.Objects, found, 0.3, options.Margin);
            if (found.Count != 1)
            {
                Console.WriteLine($"  {Path.GetFileName(pic.Path)}: {found.Count} plate detections ({string.Join(", ", found.Select(f => f.Box + "@" + f.Confidence.ToString("F2", CultureInfo.InvariantCulture)))})");
            }
        }
        Console.WriteLine();
        Console.WriteLine("class  GT  detections  TP  recall  precision  fully-unblurred  <90%-covered   (IoU >= 0.3)");
        Print("face", faces);
        Print("plate", plates);
        foreach (var extra in new[] { "e-faces-dlib/dogs.jpg", "e-faces-dlib/bald_guys.jpg", "g-sgblur-fixture/flat_urban_with_face_and_sign_small.jpg" })
        {
            var all = DetectFile(blurrer, Path.Combine(data, extra), null);
            Console.WriteLine($"  {extra} (no ground truth): {all.Count(d => d.Class == "face")} faces, {all.Count(d => d.Class == "plate")} plates");
        }
    }

    private static void Print(string cls, DetectionScore s) =>
        Console.WriteLine(FormattableString.Invariant(
            $"{cls,-6} {s.GroundTruth,3} {s.Detections,11} {s.TruePositives,3} {s.Recall,7:F3} {s.Precision,10:F3} {s.FullyUnblurred,16} {s.PartlyUnblurred,13}   lowest matched confidence {s.LowestMatchedConfidence:F2}"));

    private static List<ObjectDetection> DetectFile(PictureBlurrer blurrer, string path, string? cls)
    {
        using var stream = File.OpenRead(path);
        using var image = PictureDecoder.LoadUpright(stream);
        return [.. blurrer.Detect(image, false).Where(d => cls is null || d.Class == cls)];
    }

    /// <summary>The shared set has no 12 MP picture with people; a 16 MP phone picture resized to 4000×3000 stands in.</summary>
    private static byte[] MakeFlat12Mp(string path)
    {
        using var source = Image.NewFromFile(path);
        using var resized = source.Resize(4000.0 / source.Width, vscale: 3000.0 / source.Height);
        return resized.JpegsaveBuffer(q: 92);
    }

    private static async Task TimeAsync(PictureBlurrer blurrer, string label, byte[] jpeg, bool equirectangular)
    {
        const int runs = 3;
        var results = new List<BlurResult>();
        for (var i = 0; i <= runs; i++)
        {
            using var input = new MemoryStream(jpeg, writable: false);
            using var output = new MemoryStream();
            var r = await blurrer.BlurAsync(input, output, equirectangular);
            if (i > 0)
            {
                results.Add(r);
            }
        }
        var best = results.OrderBy(r => r.Timings.Total).ElementAt(runs / 2);
        var t = best.Timings;
        Console.WriteLine(FormattableString.Invariant(
            $"{label}: median of {runs} | total {t.Total.TotalSeconds:F2} s = decode {t.Decode.TotalSeconds:F2} + detect {t.Detect.TotalSeconds:F2} + blur&encode {t.BlurAndEncode.TotalSeconds:F2}"));
        Console.WriteLine(FormattableString.Invariant(
            $"    raw ONNX inference of the same {t.InferenceRuns} runs: {t.Inference.TotalSeconds:F2} s (summed over threads) | detect/inference {t.Detect / t.Inference:F2}x | total/inference {t.Total / t.Inference:F2}x | {best.Detections.Count} detections: {string.Join(", ", best.Detections.Select(d => d.Class + d.Box + "@" + d.Confidence.ToString("F2", CultureInfo.InvariantCulture)))}"));
    }

    private static void ApplyArgs(BlurringOptions o, string[] args)
    {
        foreach (var a in args.Skip(1))
        {
            var kv = a.Split('=', 2);
            if (kv.Length != 2)
            {
                continue;
            }
            var v = kv[1];
            switch (kv[0])
            {
                case "tile": o.TileSize = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "overlap": o.TileOverlap = double.Parse(v, CultureInfo.InvariantCulture); break;
                case "faceinput": o.FaceInputSize = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "face": o.Thresholds[DetectionClasses.Face] = float.Parse(v, CultureInfo.InvariantCulture); break;
                case "plate": o.Thresholds[DetectionClasses.Plate] = float.Parse(v, CultureInfo.InvariantCulture); break;
                case "parallel": o.TileParallelism = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "intra": o.IntraOpThreads = int.Parse(v, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown blur-eval option {kv[0]}");
            }
        }
    }
}
