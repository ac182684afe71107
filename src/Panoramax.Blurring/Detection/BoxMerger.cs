namespace Panoramax.Blurring.Detection;

/// <summary>Non-maximum suppression, in the two flavours blurring needs.</summary>
public static class BoxMerger
{
    /// <summary>Plain greedy hard NMS within one model output (what the reference decoders do).</summary>
    public static IReadOnlyList<ObjectDetection> Nms(IEnumerable<ObjectDetection> detections, double iou)
    {
        var kept = new List<ObjectDetection>();
        foreach (var d in detections.OrderByDescending(d => d.Confidence))
        {
            if (!kept.Exists(k => k.Class == d.Class && k.Box.IoU(d.Box) >= iou))
            {
                kept.Add(d);
            }
        }
        return kept;
    }

    /// <summary>
    /// Merges detections of overlapping tiles and scales. Unlike plain NMS the kept box grows to the union of
    /// the boxes it absorbs: a tile edge cuts a face into a partial box that may score higher than the whole
    /// one, and blurring only the partial box would leave the rest visible. A box mostly inside another
    /// (intersection over the smaller area ≥ <paramref name="containment"/>) is absorbed too.
    /// With <paramref name="wrapWidth"/> (360° pictures) boxes are compared across the left/right seam, and
    /// kept boxes have 0 ≤ X1 &lt; wrapWidth, with X2 possibly beyond it.
    /// </summary>
    public static IReadOnlyList<ObjectDetection> Merge(IEnumerable<ObjectDetection> detections, double iou, double containment = 0.7, double? wrapWidth = null)
    {
        var clusters = new List<(ObjectDetection Top, PixelBox Extent)>();
        foreach (var d in detections.OrderByDescending(d => d.Confidence).ThenByDescending(d => d.Box.Area))
        {
            var box = wrapWidth is { } w0 ? NormaliseWrap(d.Box, w0) : d.Box;
            var merged = false;
            for (var i = 0; i < clusters.Count && !merged; i++)
            {
                var (top, extent) = clusters[i];
                if (top.Class != d.Class)
                {
                    continue;
                }
                foreach (var shift in Shifts(wrapWidth))
                {
                    var candidate = box.Offset(shift, 0);
                    // Against the extent, so the two halves of a face cut by a tile edge or the seam both join.
                    var inter = extent.IntersectionArea(candidate);
                    if (inter <= 0)
                    {
                        continue;
                    }
                    var smaller = Math.Min(extent.Area, candidate.Area);
                    if (extent.IoU(candidate) >= iou || (smaller > 0 && inter / smaller >= containment))
                    {
                        clusters[i] = (top, extent.Union(candidate));
                        merged = true;
                        break;
                    }
                }
            }
            if (!merged)
            {
                var top = d with { Box = box };
                clusters.Add((top, box));
            }
        }
        return [.. clusters.Select(c => c.Top with { Box = wrapWidth is { } w ? NormaliseWrap(c.Extent, w) : c.Extent })];
    }

    /// <summary>
    /// Cuts a box that crosses the 360 seam (X2 &gt; width) into its right-edge and left-edge parts,
    /// so every returned box lies inside the picture.
    /// </summary>
    public static IEnumerable<ObjectDetection> SplitAtSeam(ObjectDetection d, double width)
    {
        var b = d.Box;
        if (b.X2 <= width)
        {
            yield return d;
            yield break;
        }
        if (b.Width >= width)
        {
            yield return d with { Box = b with { X1 = 0, X2 = width } };
            yield break;
        }
        yield return d with { Box = b with { X2 = width } };
        yield return d with { Box = b with { X1 = 0, X2 = b.X2 - width } };
    }

    private static PixelBox NormaliseWrap(PixelBox b, double width)
    {
        while (b.X1 >= width)
        {
            b = b.Offset(-width, 0);
        }
        while (b.X1 < 0)
        {
            b = b.Offset(width, 0);
        }
        return b;
    }

    private static double[] Shifts(double? wrapWidth) => wrapWidth is { } w ? [0, -w, w] : [0];
}
