using System.Buffers;
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring.Models;

/// <summary>
/// One <see cref="InferenceSession"/> per model file, created once: session creation costs tens of
/// milliseconds and <c>Run</c> is thread-safe, so every picture and every tile shares it.
/// </summary>
internal sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;

    public OnnxModel(string path, int intraOpThreads)
    {
        if (!File.Exists(path))
        {
            throw new BlurringUnavailableException($"Blurring model file is missing: {path}");
        }
        try
        {
            using var options = new SessionOptions
            {
                // UltraFace logs hundreds of harmless "initializer in graph inputs" warnings otherwise.
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                IntraOpNumThreads = intraOpThreads,
                InterOpNumThreads = 1,
            };
            _session = new InferenceSession(path, options);
            _runOptions = new RunOptions();
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            // A corrupt file or a missing native runtime: either way this host cannot blur.
            throw new BlurringUnavailableException($"Blurring model file cannot be loaded: {path} ({ex.Message})", ex);
        }
        Path = path;
        InputName = _session.InputMetadata.Keys.Single();
        OutputNames = [.. _session.OutputMetadata.Keys];
    }

    public string Path { get; }

    public string InputName { get; }

    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Runs on one NCHW float tensor; the caller disposes the returned values.</summary>
    /// <remarks><paramref name="input"/> comes from the shared array pool and goes back to it here.</remarks>
    public IDisposableReadOnlyCollection<OrtValue> Run(float[] input, long[] shape, InferenceClock? clock)
    {
        try
        {
            var length = (int)(shape[0] * shape[1] * shape[2] * shape[3]);
            using var tensor = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, length), shape);
            var sw = Stopwatch.StartNew();
            var outputs = _session.Run(_runOptions, [InputName], [tensor], OutputNames);
            clock?.Add(sw.Elapsed);
            return outputs;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
