using System.Diagnostics;
using NetVips;
using Panoramax.Blurring.Detection;
using Panoramax.Blurring.Models;

namespace Panoramax.Blurring;

/// <summary>What blurring found and how long it took (the timings feed logs and the benchmark).</summary>
public sealed record BlurResult(IReadOnlyList<ObjectDetection> Detections, int Width, int Height, BlurTimings Timings);

/// <summary>Decode, detection (of which raw ONNX inference), blur + encode, and the whole call.</summary>
public sealed record BlurTimings(TimeSpan Decode, TimeSpan Detect, TimeSpan Inference, int InferenceRuns, TimeSpan BlurAndEncode, TimeSpan Total);

/// <summary>The blur step of the processing pipeline; the remote /blur/ client will implement it too.</summary>
public interface IPictureBlurrer
{
    /// <summary>
    /// Writes <paramref name="jpeg"/> to <paramref name="output"/> upright, with faces and plates hidden, EXIF/XMP kept.
    /// </summary>
    /// <exception cref="BlurringUnavailableException">the models are missing: keep the picture unpublished</exception>
    /// <exception cref="NetVips.VipsException">the picture cannot be decoded (not an image, truncated)</exception>
    Task<BlurResult> BlurAsync(Stream jpeg, Stream output, bool isEquirectangular, CancellationToken cancellationToken = default);
}

/// <summary>
/// Built-in blurring with ONNX Runtime on the CPU. One instance per process (a singleton): it loads the models
/// on first use and keeps their sessions, which are thread-safe. If a model file is missing every call throws
/// <see cref="BlurringUnavailableException"/> (and tries again next time, so adding the file needs no restart).
/// </summary>
public sealed class PictureBlurrer : IPictureBlurrer, IDisposable
{
    private readonly BlurringOptions _options;
    private readonly Lock _loadLock = new();
    private TiledDetector? _detector;
    private List<IObjectDetector>? _models;
    private bool _disposed;

    public PictureBlurrer(BlurringOptions options)
    {
        options.Validate();
        _options = options;
    }

    public BlurringOptions Options => _options;

    /// <summary>Loads the models now (start-up check, health endpoint).</summary>
    /// <exception cref="BlurringUnavailableException">a model file is missing or unreadable</exception>
    public void EnsureAvailable() => GetDetector();

    public Task<BlurResult> BlurAsync(Stream jpeg, Stream output, bool isEquirectangular, CancellationToken cancellationToken = default) =>
        BlurAsync(jpeg, output, isEquirectangular, [], cancellationToken);

    /// <summary>
    /// Same as <see cref="BlurAsync(Stream, Stream, bool, CancellationToken)"/>, plus regions a person asked to hide
    /// (a missed face), given in upright picture pixels; they are blurred as given (no margin added).
    /// </summary>
    public async Task<BlurResult> BlurAsync(Stream jpeg, Stream output, bool isEquirectangular, IReadOnlyList<PixelBox> extraRegions, CancellationToken cancellationToken = default)
    {
        var detector = GetDetector();
        // libvips reads and writes synchronously: keep network streams off it (ASP.NET bodies forbid sync I/O).
        var input = jpeg;
        MemoryStream? buffered = null;
        if (jpeg is not (MemoryStream or FileStream or UnmanagedMemoryStream))
        {
            buffered = new MemoryStream();
            await jpeg.CopyToAsync(buffered, cancellationToken);
            buffered.Position = 0;
            input = buffered;
        }
        using var encoded = new MemoryStream();
        BlurResult result;
        try
        {
            result = await Task.Run(() => BlurCore(detector, input, encoded, isEquirectangular, extraRegions, cancellationToken), cancellationToken);
        }
        finally
        {
            if (buffered is not null)
            {
                await buffered.DisposeAsync();
            }
        }
        encoded.Position = 0;
        await encoded.CopyToAsync(output, cancellationToken);
        return result;
    }

    /// <summary>Detection only, on an upright 8-bit sRGB image (the evaluation bench uses it).</summary>
    public IReadOnlyList<ObjectDetection> Detect(Image upright, bool isEquirectangular, InferenceClock? clock = null, CancellationToken cancellationToken = default) =>
        GetDetector().Detect(upright, isEquirectangular, clock, cancellationToken);

    private BlurResult BlurCore(TiledDetector detector, Stream input, Stream output, bool isEquirectangular, IReadOnlyList<PixelBox> extraRegions, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        using var image = PictureDecoder.LoadUpright(input);
        var decode = total.Elapsed;

        var clock = new InferenceClock();
        var detections = detector.Detect(image, isEquirectangular, clock, cancellationToken);
        var detect = total.Elapsed - decode;
        cancellationToken.ThrowIfCancellationRequested();

        var regions = detections.Select(d => RegionBlurrer.RegionOf(d, _options.Margin)).Concat(extraRegions);
        RegionBlurrer.Save(image, regions, output, _options.JpegQuality);
        var timings = new BlurTimings(decode, detect, clock.Elapsed, clock.Runs, total.Elapsed - decode - detect, total.Elapsed);
        return new BlurResult(detections, image.Width, image.Height, timings);
    }

    private TiledDetector GetDetector()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _detector) is { } ready)
        {
            return ready;
        }
        lock (_loadLock)
        {
            if (_detector is not null)
            {
                return _detector;
            }
            if (!ModuleInitializer.VipsInitialized)
            {
                throw new BlurringUnavailableException(
                    $"libvips (NetVips.Native) could not be loaded: {ModuleInitializer.Exception?.Message}", ModuleInitializer.Exception ?? new DllNotFoundException("libvips"));
            }
            var models = new List<IObjectDetector>();
            try
            {
                foreach (var cls in _options.Classes.Distinct(StringComparer.Ordinal))
                {
                    models.Add(cls switch
                    {
                        DetectionClasses.Face => new YuNetFaceDetector(ModelPath(_options.FaceModelFile), _options.ThresholdFor(cls), _options.FaceInputSize, _options.IntraOpThreads),
                        DetectionClasses.Plate => new YoloPlateDetector(ModelPath(_options.PlateModelFile), _options.ThresholdFor(cls), _options.IntraOpThreads),
                        _ => throw new BlurringUnavailableException($"Unknown blurring class '{cls}'"),
                    });
                }
            }
            catch
            {
                models.ForEach(m => m.Dispose());
                throw;
            }
            _models = models;
            _detector = new TiledDetector(models, _options.TileSize, _options.TileOverlap, _options.TileParallelism);
            return _detector;
        }
    }

    private string ModelPath(string file)
    {
        var dir = Path.GetFullPath(_options.ModelDirectory);
        if (!Directory.Exists(dir))
        {
            throw new BlurringUnavailableException($"Blurring model folder is missing: {dir} (needs {file}); set {BlurringOptions.SectionName}:ModelDirectory");
        }
        return Path.Combine(dir, file);
    }

    public void Dispose()
    {
        lock (_loadLock)
        {
            _disposed = true;
            _models?.ForEach(m => m.Dispose());
            _models = null;
            _detector = null;
        }
    }
}
