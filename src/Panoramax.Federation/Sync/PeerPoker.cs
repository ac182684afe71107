using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Persistence;

namespace Panoramax.Federation.Sync;

/// <summary>
/// After entries are sealed (or relayed entries applied), tells every trusted peer once per debounce window, so they
/// pull within about a second instead of at their next scheduled run. Best effort: a peer that misses a poke still pulls on schedule.
/// </summary>
public sealed class PeerPoker(
    FeedSignal signal,
    IServiceScopeFactory scopes,
    PeerClients clients,
    IOptions<FederationOptions> options,
    TimeProvider clock,
    ILogger<PeerPoker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await signal.NextAsync().WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            await Task.Delay(options.Value.PokeDebounce, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                await PokeAllAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogDebug(e, "Poking peers failed");
            }
        }
    }

    private async Task PokeAllAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>();
        var self = await db.Instances.AsNoTracking().SingleAsync(i => i.IsSelf, ct);
        var peers = await db.Instances.AsNoTracking()
            .Where(i => i.IsPeer && !i.IsSelf && i.Trust == PeerTrust.Trusted && i.FederationUrl != null)
            .Select(i => new { i.Id, i.FederationUrl }).ToListAsync(ct);
        await Task.WhenAll(peers.Select(async p =>
        {
            try
            {
                await clients.Client(p.FederationUrl!).PokeAsync(new PokeRequest(), clients.Headers(self.Id, p.Id),
                    clock.GetUtcNow().AddSeconds(3).UtcDateTime, ct);
            }
            catch (Grpc.Core.RpcException e)
            {
                logger.LogDebug("Poke of {Peer} failed: {Status}", p.Id, e.StatusCode);
            }
        }));
    }
}
