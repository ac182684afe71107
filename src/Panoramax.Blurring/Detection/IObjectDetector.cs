using NetVips;

namespace Panoramax.Blurring.Detection;

/// <summary>
/// One ONNX model for one class. It sees a single image (a tile or a whole downscaled picture) and answers in
/// that image's pixels; tiling, merging and the 360 seam are <see cref="TiledDetector"/>'s business, so a new
/// model only has to implement pre-processing and decoding.
/// </summary>
public interface IObjectDetector : IDisposable
{
    string Class { get; }

    /// <summary>Confidence below which the model's raw outputs are dropped before any merging.</summary>
    float Threshold { get; }

    /// <summary>Runs the model on an 8-bit 3-band sRGB image. Thread-safe.</summary>
    IReadOnlyList<ObjectDetection> Detect(Image image, InferenceClock? clock = null);
}

/// <summary>
/// Accumulates time spent inside <c>InferenceSession.Run</c> only, so callers can compare the whole blur step
/// with the raw model cost of the same tiles.
/// </summary>
public sealed class InferenceClock
{
    private long _ticks;
    private int _runs;

    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public int Runs => Volatile.Read(ref _runs);

    public void Add(TimeSpan elapsed)
    {
        Interlocked.Add(ref _ticks, elapsed.Ticks);
        Interlocked.Increment(ref _runs);
    }
}
