using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring.Evaluation;

/// <summary>Counts for one class over a set of annotated pictures.</summary>
public sealed class DetectionScore
{
    public int GroundTruth { get; private set; }

    public int Detections { get; private set; }

    public int TruePositives { get; private set; }

    /// <summary>Ground-truth objects no blurred region touches at all.</summary>
    public int FullyUnblurred { get; private set; }

    /// <summary>Ground-truth objects less than 90 % covered by blurred regions.</summary>
    public int PartlyUnblurred { get; private set; }

    /// <summary>Lowest confidence among matched detections: how much room the threshold has.</summary>
    public float LowestMatchedConfidence { get; private set; } = 1;

    public double Recall => GroundTruth == 0 ? 1 : (double)TruePositives / GroundTruth;

    public double Precision => Detections == 0 ? 1 : (double)TruePositives / Detections;

    /// <summary>
    /// Greedy matching by confidence at IoU ≥ <paramref name="iou"/> (one detection per object), plus the
    /// coverage of each object by the regions actually blurred (<see cref="RegionBlurrer.RegionOf"/>).
    /// </summary>
    public void Add(IReadOnlyList<ObjectDetection> truth, IReadOnlyList<ObjectDetection> found, double iou = 0.3, double margin = 0)
    {
        GroundTruth += truth.Count;
        Detections += found.Count;
        var matched = new bool[truth.Count];
        foreach (var d in found.OrderByDescending(d => d.Confidence))
        {
            var best = -1;
            var bestIou = iou;
            for (var i = 0; i < truth.Count; i++)
            {
                var v = truth[i].Box.IoU(d.Box);
                if (!matched[i] && v >= bestIou)
                {
                    best = i;
                    bestIou = v;
                }
            }
            if (best >= 0)
            {
                matched[best] = true;
                TruePositives++;
                LowestMatchedConfidence = Math.Min(LowestMatchedConfidence, d.Confidence);
            }
        }
        var blurred = found.Select(d => RegionBlurrer.RegionOf(d, margin)).ToList();
        foreach (var t in truth)
        {
            var covered = Coverage(t.Box, blurred);
            if (covered <= 0)
            {
                FullyUnblurred++;
            }
            if (covered < 0.9)
            {
                PartlyUnblurred++;
            }
        }
    }

    /// <summary>Fraction of <paramref name="box"/> inside the union of <paramref name="regions"/> (sampled on a 32×32 grid).</summary>
    public static double Coverage(PixelBox box, IReadOnlyList<PixelBox> regions)
    {
        const int n = 32;
        var inside = 0;
        for (var j = 0; j < n; j++)
        {
            var y = box.Y1 + (j + 0.5) * box.Height / n;
            for (var i = 0; i < n; i++)
            {
                var x = box.X1 + (i + 0.5) * box.Width / n;
                if (regions.Any(r => x >= r.X1 && x < r.X2 && y >= r.Y1 && y < r.Y2))
                {
                    inside++;
                }
            }
        }
        return inside / (double)(n * n);
    }
}
