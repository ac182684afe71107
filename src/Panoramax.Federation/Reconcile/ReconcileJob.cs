using Quartz;

namespace Panoramax.Federation.Reconcile;

/// <summary>
/// Reconciles one trusted peer (every origin it serves) on <see cref="FederationOptions.ReconcileInterval"/>; scheduled
/// with the peer's sync job by <see cref="Sync.PeerSyncScheduler"/> (key <c>federation-reconcile.{peer id}</c>).
/// </summary>
[DisallowConcurrentExecution]
public sealed class ReconcileJob(Reconciler reconciler) : IJob
{
    public const string PeerKey = "peer";

    public static JobKey KeyOf(Guid peer) => new($"federation-reconcile.{peer}", Sync.PeerSyncScheduler.Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var peer = Guid.Parse(context.MergedJobDataMap.GetString(PeerKey)!);
        try
        {
            await reconciler.ReconcileAsync(peer, cancellationToken);
        }
        catch (ReconcileBusyException)
        {
            // An administrator's run is going on: this one is not needed.
        }
    }
}
