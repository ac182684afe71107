using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Processing;

/// <summary>A host running the real job worker, with an <see cref="UploadWriter"/> on its database and store.</summary>
public abstract class WorkerInstance : TestInstance
{
    public UploadWriter Uploads { get; private set; } = null!;
    public IBlobStore Store => Services.GetRequiredService<IBlobStore>();

    protected virtual IEnumerable<KeyValuePair<string, string>> WorkerSettings => [];

    protected sealed override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Jobs:PollInterval", "00:00:00.200"),
        new("Panoramax:Jobs:Concurrency", "2"),
        new("Panoramax:Jobs:LeaseDuration", "00:00:30"),
        new("Panoramax:Map:GridRefreshInterval", "01:00:00"),
        .. WorkerSettings,
    ];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Uploads = new UploadWriter(ConnectionString, Store);
    }

    public async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var k in Store.ListAsync(prefix, default))
        {
            keys.Add(k);
        }
        return keys;
    }
}

/// <summary>Blurring turned off by the admin (fast), quick retries.</summary>
public sealed class NoBlurInstance : WorkerInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Blurring:Enabled", "false"),
        new("Panoramax:Jobs:RetryBaseDelay", "00:00:00.100"),
        new("Panoramax:Jobs:MaxAttempts", "3"),
    ];
}

/// <summary>As <see cref="NoBlurInstance"/>, with every file in a real S3-compatible server (s3rver).</summary>
public sealed class S3NoBlurInstance : WorkerInstance
{
    private readonly S3rverServer _s3 = new();

    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Blurring:Enabled", "false"),
        new("Panoramax:Jobs:RetryBaseDelay", "00:00:00.100"),
        new("Panoramax:Jobs:MaxAttempts", "3"),
        .. _s3.StorageSettings("panoramax-pipeline"),
    ];

    public override async Task InitializeAsync()
    {
        await _s3.InitializeAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _s3.DisposeAsync();
    }
}

/// <summary>Retries slow enough for a test to fix the cause between two attempts.</summary>
public sealed class SlowRetryInstance : WorkerInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Blurring:Enabled", "false"),
        new("Panoramax:Jobs:RetryBaseDelay", "00:00:02"),
        new("Panoramax:Jobs:MaxAttempts", "3"),
    ];
}

/// <summary>Real blurring with the shared models, originals kept.</summary>
public sealed class BlurringInstance : WorkerInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Blurring:ModelDirectory", Path.Combine(TestPaths.Shared, "models")),
        new("Panoramax:Blurring:KeepOriginal", "true"),
    ];
}

/// <summary>Blurring on, but the model folder does not exist.</summary>
public sealed class MissingModelsInstance : WorkerInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Blurring:ModelDirectory", Path.Combine(Path.GetTempPath(), "panoramax-tests", "no-models-here")),
        new("Panoramax:Jobs:BlurUnavailableRetryDelay", "00:10:00"),
    ];
}

/// <summary>Role worker: jobs only, HTTP answers nothing but health.</summary>
public sealed class WorkerRoleInstance : WorkerInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Role", "worker"),
        new("Panoramax:Blurring:Enabled", "false"),
    ];
}
