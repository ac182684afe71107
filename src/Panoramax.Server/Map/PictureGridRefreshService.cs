using Microsoft.Extensions.Options;
using Panoramax.Persistence.Queries;

namespace Panoramax.Server.Map;

/// <summary>
/// Keeps the low-zoom grid current: once at start-up (after the migrations of <c>InstanceInitializer</c>, which is
/// registered before) and then every <see cref="MapOptions.GridRefreshInterval"/> (changes made by another process,
/// or by a path that does not ask), or sooner when publication or a federation apply asks through
/// <see cref="PictureGridRefreshRequests"/> (requests arriving within a second are served by one refresh). A refresh
/// recounts only the cells the database noted as changed, so an idle tick costs one small query. A failed refresh is
/// logged and retried at the next tick; it never stops the server.
/// </summary>
public sealed class PictureGridRefreshService(PictureGridRefresher refresher, PictureGridRefreshRequests requests, TileCache tiles, MapCacheBroadcast others, IOptions<MapOptions> options, ILogger<PictureGridRefreshService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await refresher.RefreshAsync(stoppingToken) > 0)
                {
                    // Low-zoom tiles built before the recount (e.g. right after a publication dropped the cache) hold the old counts.
                    tiles.Invalidate();
                    await others.TellOthersAsync();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Refreshing the map grid failed; low-zoom tiles show the previous grid until the next attempt");
            }
            if (await requests.WaitAsync(options.Value.GridRefreshInterval, stoppingToken))
            {
                await Task.Delay(requests.TakeDelay(), stoppingToken);
                requests.Drain();
            }
        }
    }
}

/// <summary>
/// Asks the grid refresh service for an early refresh; the requests of a window make one refresh. Publications ask
/// within a second; a federation apply within <see cref="ReplicaWindow"/>: a long copy commits a batch every few hundred
/// milliseconds, and recounting the same cells after each one took a tenth of the copy's time.
/// </summary>
public sealed class PictureGridRefreshRequests : IDisposable
{
    public static readonly TimeSpan PublicationWindow = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ReplicaWindow = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _signal = new(0, 1);
    // The earliest time a pending request wants its refresh, in Stopwatch ticks (long.MaxValue: none pending).
    private long _due = long.MaxValue;

    public void Request(TimeSpan within)
    {
        var due = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(within.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var current = Interlocked.Read(ref _due);
        while (due < current)
        {
            var seen = Interlocked.CompareExchange(ref _due, due, current);
            if (seen == current)
            {
                break;
            }
            current = seen;
        }
        try
        {
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    internal Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    /// <summary>How long to wait before the refresh the pending requests asked for (requests made during it join it).</summary>
    internal TimeSpan TakeDelay()
    {
        var due = Interlocked.Exchange(ref _due, long.MaxValue);
        if (due == long.MaxValue)
        {
            return PublicationWindow;
        }
        var left = System.Diagnostics.Stopwatch.GetElapsedTime(System.Diagnostics.Stopwatch.GetTimestamp(), due);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    internal void Drain() => _signal.Wait(0);

    public void Dispose() => _signal.Dispose();
}
