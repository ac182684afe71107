using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring;

/// <summary>
/// Settings of the built-in blurring (configuration section <c>Panoramax:Blurring</c>). Defaults are the ones
/// measured in bench/RESULTS.md (blur-eval).
/// </summary>
public sealed class BlurringOptions
{
    public const string SectionName = "Panoramax:Blurring";

    /// <summary>Folder holding the ONNX files (the shared models folder). Relative paths are resolved
    /// against the current directory.</summary>
    public string ModelDirectory { get; set; } = "models";

    public string FaceModelFile { get; set; } = "yunet_n_dynamic.onnx";

    public string PlateModelFile { get; set; } = "yolo-v9-t-416-license-plates-end2end-int8dyn.onnx";

    /// <summary>Classes to detect and blur ("face", "plate"). An array, so configuration replaces it.</summary>
    public string[] Classes { get; set; } = [.. DetectionClasses.All];

    /// <summary>Per-class minimum confidence.</summary>
    public IDictionary<string, float> Thresholds { get; } = new Dictionary<string, float>(StringComparer.Ordinal)
    {
        [DetectionClasses.Face] = 0.6f,
        [DetectionClasses.Plate] = 0.3f,
    };

    /// <summary>Side in full-resolution pixels of the square tiles big pictures are cut into.</summary>
    public int TileSize { get; set; } = 832;

    /// <summary>Fraction of a tile shared with its neighbours.</summary>
    public double TileOverlap { get; set; } = 0.2;

    /// <summary>Longest side of the face model's input (multiple of 32); a tile is scaled to it.</summary>
    public int FaceInputSize { get; set; } = 832;

    /// <summary>Fraction of a box's width/height added on each side before blurring (face boxes are squared first).</summary>
    public double Margin { get; set; } = 0.15;

    /// <summary>JPEG quality of the re-encoded picture.</summary>
    public int JpegQuality { get; set; } = 92;

    /// <summary>ONNX Runtime intra-op threads per model run.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Tiles inferred at the same time (each uses <see cref="IntraOpThreads"/>).</summary>
    public int TileParallelism { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Base URL of another Panoramax (or SGBlur) blurring service; when set, pictures are sent to its
    /// <c>POST {RemoteUrl}/blur/</c> instead of running the models here.
    /// </summary>
    public string? RemoteUrl { get; set; }

    /// <summary>Time one remote call may take (a big picture on a busy service is slow); retries come on top.</summary>
    public TimeSpan RemoteTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of a failed remote call (5xx, timeout, network), with exponential backoff.</summary>
    public int RemoteRetries { get; set; } = 3;

    public float ThresholdFor(string cls) => Thresholds.TryGetValue(cls, out var t) ? t : 0.5f;

    internal void Validate()
    {
        if (TileSize < 64)
        {
            throw new ArgumentException($"TileSize must be at least 64, got {TileSize}");
        }
        if (TileOverlap is < 0 or >= 0.9)
        {
            throw new ArgumentException($"TileOverlap must be in [0, 0.9), got {TileOverlap}");
        }
        if (Margin is < 0 or > 2)
        {
            throw new ArgumentException($"Margin must be in [0, 2], got {Margin}");
        }
        if (JpegQuality is < 1 or > 100)
        {
            throw new ArgumentException($"JpegQuality must be in [1, 100], got {JpegQuality}");
        }
        foreach (var c in Classes)
        {
            if (!DetectionClasses.All.Contains(c))
            {
                throw new ArgumentException($"Unknown blurring class '{c}'; known: {string.Join(", ", DetectionClasses.All)}");
            }
        }
    }
}
