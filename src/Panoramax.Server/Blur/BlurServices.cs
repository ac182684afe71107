using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Panoramax.Blurring;
using Panoramax.Blurring.Detection;
using Panoramax.Blurring.Remote;
using Polly;

namespace Panoramax.Server.Blur;

/// <summary>
/// Limits of the <c>/blur/</c> service (same section as <see cref="BlurringOptions"/>: <c>Panoramax:Blurring</c>).
/// Blurring is CPU-bound and big pictures are memory-hungry, so uploads, pixels and simultaneous jobs are bounded.
/// </summary>
public sealed class BlurServiceOptions
{
    /// <summary>Largest accepted picture part, in bytes.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Largest accepted picture, in pixels (width × height): it is decoded whole in memory.</summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 150_000_000;

    /// <summary>Pictures blurred at the same time; each already uses every core for its tiles.</summary>
    [Range(1, 64)]
    public int MaxConcurrentJobs { get; set; } = 1;

    /// <summary>How long a request waits for a free slot before a 503 with Retry-After.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Registration of the blurring: the built-in ONNX blurrer, or a remote service when RemoteUrl is set.</summary>
public static class BlurServices
{
    public static IServiceCollection AddPanoramaxBlurring(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BlurringOptions>().BindConfiguration(BlurringOptions.SectionName);
        services.AddOptions<BlurServiceOptions>().BindConfiguration(BlurringOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // Models load on first use, never at start-up: a missing model must not stop the host.
        services.AddSingleton(sp => new PictureBlurrer(sp.GetRequiredService<IOptions<BlurringOptions>>().Value));
        services.AddSingleton<BlurJobGate>();
        services.AddHostedService<BlurModelCheck>();

        var remote = configuration.GetSection(BlurringOptions.SectionName).Get<BlurringOptions>() ?? new BlurringOptions();
        if (string.IsNullOrWhiteSpace(remote.RemoteUrl))
        {
            services.AddSingleton<IPictureBlurrer>(sp => sp.GetRequiredService<PictureBlurrer>());
            return services;
        }
        services.AddHttpClient<IPictureBlurrer, RemoteBlurClient>((http, sp) =>
            {
                // The resilience pipeline owns timeouts (per attempt and overall).
                http.Timeout = Timeout.InfiniteTimeSpan;
                return new RemoteBlurClient(http, sp.GetRequiredService<IOptions<BlurringOptions>>().Value);
            })
            .AddStandardResilienceHandler(o => ConfigureResilience(o, remote));
        return services;
    }

    private static void ConfigureResilience(HttpStandardResilienceOptions o, BlurringOptions remote)
    {
        var attempt = remote.RemoteTimeout > TimeSpan.Zero ? remote.RemoteTimeout : TimeSpan.FromMinutes(2);
        var retries = Math.Max(1, remote.RemoteRetries);
        o.AttemptTimeout.Timeout = attempt;
        // Blurring a picture twice is harmless: POST may be retried.
        o.Retry.MaxRetryAttempts = retries;
        o.Retry.BackoffType = DelayBackoffType.Exponential;
        o.Retry.UseJitter = true;
        o.Retry.Delay = TimeSpan.FromSeconds(1);
        o.TotalRequestTimeout.Timeout = (attempt * (retries + 1)) + TimeSpan.FromMinutes(1);
        // The breaker's window must be at least twice the attempt timeout (the options validation insists).
        o.CircuitBreaker.SamplingDuration = (attempt * 2) + TimeSpan.FromSeconds(1);
    }
}

/// <summary>Bounds simultaneous blur jobs of the <c>/blur/</c> service so the cores are not oversubscribed.</summary>
public sealed class BlurJobGate(IOptions<BlurServiceOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentJobs, options.Value.MaxConcurrentJobs);

    /// <summary>A slot to release by disposing, or null when none freed up within the queue timeout.</summary>
    public async Task<IDisposable?> EnterAsync(CancellationToken ct) =>
        await _slots.WaitAsync(options.Value.QueueTimeout, ct) ? new Slot(_slots) : null;

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}

/// <summary>Says once at start-up when the models are missing; the host still starts (blurring then answers 503).</summary>
internal sealed class BlurModelCheck(IOptions<BlurringOptions> options, ILogger<BlurModelCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!string.IsNullOrWhiteSpace(o.RemoteUrl))
        {
            logger.LogInformation("Pictures are blurred by the remote service {RemoteUrl}", o.RemoteUrl);
            return Task.CompletedTask;
        }
        var folder = Path.GetFullPath(o.ModelDirectory);
        var missing = o.Classes.Distinct(StringComparer.Ordinal)
            .Select(c => c == DetectionClasses.Face ? o.FaceModelFile : o.PlateModelFile)
            .Where(f => !File.Exists(Path.Combine(folder, f)))
            .ToList();
        if (missing.Count > 0)
        {
            logger.LogWarning(
                "Blurring models missing in {ModelFolder}: {MissingModels}. Pictures cannot be blurred (and stay unpublished; /blur/ answers 503) until they are there: set {ConfigKey} to the models folder",
                folder, string.Join(", ", missing), $"{BlurringOptions.SectionName}:ModelDirectory");
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
