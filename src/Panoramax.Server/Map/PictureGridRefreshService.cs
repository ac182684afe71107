using Microsoft.Extensions.Options;
using Panoramax.Persistence.Queries;

namespace Panoramax.Server.Map;

/// <summary>
/// Keeps the low-zoom grid current: once at start-up (after the migrations of <c>InstanceInitializer</c>, which is
/// registered before) and then every <see cref="MapOptions.GridRefreshInterval"/>, in case a publication path forgot
/// to ask, or sooner when publication asks through <see cref="PictureGridRefreshRequests"/> (requests arriving within a
/// second are served by one refresh). A failed refresh is logged and retried at the next tick; it never stops the server.
/// </summary>
public sealed class PictureGridRefreshService(PictureGridRefresher refresher, PictureGridRefreshRequests requests, IOptions<MapOptions> options, ILogger<PictureGridRefreshService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await refresher.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Refreshing the map grid failed; low-zoom tiles show the previous grid until the next attempt");
            }
            if (await requests.WaitAsync(options.Value.GridRefreshInterval, stoppingToken))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                requests.Drain();
            }
        }
    }
}

/// <summary>Asks the grid refresh service for an early refresh (after publications); many requests make one refresh.</summary>
public sealed class PictureGridRefreshRequests : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Request()
    {
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

    internal void Drain() => _signal.Wait(0);

    public void Dispose() => _signal.Dispose();
}
