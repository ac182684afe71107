using NetVips;
using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring.Models;

/// <summary>
/// Faces with YuNet (libfacedetection), the dynamic-shape export: any input whose sides are multiples of 32,
/// so a tile keeps its aspect ratio. Pre-processing and decoding follow OpenCV's FaceDetectorYN
/// (BGR, raw 0..255, pad bottom/right; anchor-free per-stride decoding; NMS outside the graph).
/// </summary>
public sealed class YuNetFaceDetector : IObjectDetector
{
    private static readonly int[] Strides = [8, 16, 32];
    private readonly OnnxModel _model;
    private readonly int _inputSize;
    private readonly float _nmsIou;

    /// <remarks><paramref name="inputSize"/> is the longest side of the tensor an image is scaled to (multiple of 32).</remarks>
    public YuNetFaceDetector(string modelPath, float threshold, int inputSize, int intraOpThreads, float nmsIou = 0.3f)
    {
        if (inputSize < 32 || inputSize % 32 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "YuNet input size must be a positive multiple of 32");
        }
        _model = new OnnxModel(modelPath, intraOpThreads);
        _inputSize = inputSize;
        _nmsIou = nmsIou;
        Threshold = threshold;
    }

    public string Class => DetectionClasses.Face;

    public float Threshold { get; }

    public IReadOnlyList<ObjectDetection> Detect(Image image, InferenceClock? clock = null)
    {
        var r = Math.Min((double)_inputSize / image.Width, (double)_inputSize / image.Height);
        var sw = Math.Max(1, (int)Math.Round(image.Width * r));
        var sh = Math.Max(1, (int)Math.Round(image.Height * r));
        var tw = (sw + 31) / 32 * 32;
        var th = (sh + 31) / 32 * 32;
        float[] input;
        using (var scaled = TensorFill.ResizeTo(image, sw, sh))
        {
            input = TensorFill.Planar(scaled, tw, th, 0, 0, bgr: true, mean: 0, scale: 1, padValue: 0);
        }
        var sx = (double)image.Width / sw;
        var sy = (double)image.Height / sh;

        var found = new List<ObjectDetection>();
        using (var outputs = _model.Run(input, [1, 3, th, tw], clock))
        {
            var byName = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < _model.OutputNames.Count; i++)
            {
                byName[_model.OutputNames[i]] = i;
            }
            foreach (var s in Strides)
            {
                var cls = outputs[byName[$"cls_{s}"]].GetTensorDataAsSpan<float>();
                var obj = outputs[byName[$"obj_{s}"]].GetTensorDataAsSpan<float>();
                var bbox = outputs[byName[$"bbox_{s}"]].GetTensorDataAsSpan<float>();
                var cols = tw / s;
                var n = cls.Length;
                for (var i = 0; i < n; i++)
                {
                    var score = MathF.Sqrt(Math.Clamp(cls[i], 0f, 1f) * Math.Clamp(obj[i], 0f, 1f));
                    if (score < Threshold)
                    {
                        continue;
                    }
                    var r0 = i / cols;
                    var c0 = i % cols;
                    var cx = (c0 + bbox[4 * i]) * s;
                    var cy = (r0 + bbox[4 * i + 1]) * s;
                    var w = MathF.Exp(bbox[4 * i + 2]) * s;
                    var h = MathF.Exp(bbox[4 * i + 3]) * s;
                    var box = new PixelBox((cx - w / 2) * sx, (cy - h / 2) * sy, (cx + w / 2) * sx, (cy + h / 2) * sy)
                        .Clip(image.Width, image.Height);
                    if (box.Area > 0)
                    {
                        found.Add(new ObjectDetection(Class, score, box));
                    }
                }
            }
        }
        return BoxMerger.Nms(found, _nmsIou);
    }

    public void Dispose() => _model.Dispose();
}
