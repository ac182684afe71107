using Microsoft.Extensions.Options;
using Panoramax.Persistence.Queries;

namespace Panoramax.Server.Map;

/// <summary>
/// Keeps the low-zoom grid current: once at start-up (after the migrations of <c>InstanceInitializer</c>, which is
/// registered before) and then every <see cref="MapOptions.GridRefreshInterval"/>, in case a publication path forgot
/// to ask. A failed refresh is logged and retried at the next tick; it never stops the server.
/// </summary>
public sealed class PictureGridRefreshService(PictureGridRefresher refresher, IOptions<MapOptions> options, TimeProvider time, ILogger<PictureGridRefreshService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.GridRefreshInterval, time);
        do
        {
            try
            {
                await refresher.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Refreshing the map grid failed; low-zoom tiles show the previous grid until the next attempt");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
