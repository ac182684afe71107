using NetVips;
using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring.Models;

/// <summary>
/// Licence plates with open-image-models' YOLOv9-t end-to-end export (NMS inside the graph, fixed square
/// input). Pre-processing follows its reference code: RGB, /255, centred letterbox padded with 114.
/// The graph applies no score threshold, so we do.
/// </summary>
public sealed class YoloPlateDetector : IObjectDetector
{
    private const float MinInputHeight = 4;
    private const float MaxAspect = 8;
    private readonly OnnxModel _model;
    private readonly int _inputSize;

    public YoloPlateDetector(string modelPath, float threshold, int intraOpThreads, int inputSize = 416)
    {
        _model = new OnnxModel(modelPath, intraOpThreads);
        _inputSize = inputSize;
        Threshold = threshold;
    }

    public string Class => DetectionClasses.Plate;

    public float Threshold { get; }

    public IReadOnlyList<ObjectDetection> Detect(Image image, InferenceClock? clock = null)
    {
        var s = _inputSize;
        var r = Math.Min((double)s / image.Width, (double)s / image.Height);
        var nw = Math.Clamp((int)Math.Round(image.Width * r), 1, s);
        var nh = Math.Clamp((int)Math.Round(image.Height * r), 1, s);
        var dw = (s - nw) / 2.0;
        var dh = (s - nh) / 2.0;
        // The reference rounds dw-0.1 / dw+0.1 to split odd padding; the top/left share is floor-ish.
        var left = (int)Math.Round(dw - 0.1);
        var top = (int)Math.Round(dh - 0.1);
        float[] input;
        using (var scaled = TensorFill.ResizeTo(image, nw, nh))
        {
            input = TensorFill.Planar(scaled, s, s, left, top, bgr: false, mean: 0, scale: 1f / 255f, padValue: 114f / 255f);
        }
        var rx = (double)nw / image.Width;
        var ry = (double)nh / image.Height;

        var found = new List<ObjectDetection>();
        using var outputs = _model.Run(input, [1, 3, s, s], clock);
        var rows = outputs[0].GetTensorDataAsSpan<float>();
        for (var i = 0; i + 7 <= rows.Length; i += 7)
        {
            var score = rows[i + 6];
            // A box only a few input pixels tall is noise (real plates that small are found by the tiles), and
            // plates are at most about 5:1 (EU); thin strips along a tile edge were the false positives seen on 360s.
            var bw = rows[i + 3] - rows[i + 1];
            var bh = rows[i + 4] - rows[i + 2];
            if (score < Threshold || bh < MinInputHeight || bw > MaxAspect * bh)
            {
                continue;
            }
            var box = new PixelBox(
                (rows[i + 1] - left) / rx, (rows[i + 2] - top) / ry,
                (rows[i + 3] - left) / rx, (rows[i + 4] - top) / ry).Clip(image.Width, image.Height);
            if (box.Area > 0)
            {
                found.Add(new ObjectDetection(Class, score, box));
            }
        }
        return found;
    }

    public void Dispose() => _model.Dispose();
}
