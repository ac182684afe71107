using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Instances;
using Panoramax.Persistence;
using Quartz;

namespace Panoramax.Federation.Sync;

/// <summary>
/// One Quartz job per trusted peer (key <c>federation-sync.{peer id}</c>) on <see cref="FederationOptions.SyncInterval"/>,
/// plus immediate runs on Poke. The schedule itself may live in memory: the durable state is the cursor in PostgreSQL.
/// Pokes are debounced: while a run is queued, more pokes add nothing.
/// </summary>
public sealed class PeerSyncScheduler(
    ISchedulerFactory schedulers,
    IServiceScopeFactory scopes,
    IOptions<FederationOptions> options,
    TimeProvider clock,
    ILogger<PeerSyncScheduler> logger) : IHostedService
{
    public const string Group = "federation";
    private readonly ConcurrentDictionary<Guid, byte> _queued = new();

    public static JobKey KeyOf(Guid peer) => new($"federation-sync.{peer}", Group);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Enabled)
        {
            await RefreshAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Makes the jobs match the trusted peers (after start and after every admin change).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>();
        var peers = await db.Instances.AsNoTracking()
            .Where(i => i.IsPeer && !i.IsSelf && i.Trust == PeerTrust.Trusted && i.FederationUrl != null)
            .Select(i => i.Id).ToListAsync(ct);
        var wanted = peers.Select(KeyOf).Concat(peers.Select(Reconcile.ReconcileJob.KeyOf)).ToHashSet();
        foreach (var key in await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), ct))
        {
            if (!wanted.Contains(key))
            {
                await scheduler.DeleteJob(key, ct);
            }
        }
        foreach (var peer in peers)
        {
            var key = KeyOf(peer);
            if (await scheduler.Exists(key, ct))
            {
                continue;
            }
            var job = JobBuilder.Create<PeerSyncJob>().WithIdentity(key).UsingJobData(PeerSyncJob.PeerKey, peer.ToString()).StoreDurably().Build();
            var trigger = TriggerBuilder.Create()
                .WithIdentity($"federation-sync.{peer}.interval", Group)
                .ForJob(key)
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(options.Value.SyncInterval).RepeatForever())
                .Build();
            await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
            logger.LogInformation("Federation: syncing with peer {Peer} every {Interval}", peer, options.Value.SyncInterval);
        }
        foreach (var peer in peers)
        {
            await ScheduleReconcileAsync(scheduler, peer, ct);
        }
    }

    /// <summary>Reconcile (spec §7.1) once per <see cref="FederationOptions.ReconcileInterval"/>, the first one an interval from now.</summary>
    private async Task ScheduleReconcileAsync(IScheduler scheduler, Guid peer, CancellationToken ct)
    {
        var key = Reconcile.ReconcileJob.KeyOf(peer);
        if (await scheduler.Exists(key, ct))
        {
            return;
        }
        var interval = options.Value.ReconcileInterval;
        var job = JobBuilder.Create<Reconcile.ReconcileJob>().WithIdentity(key).UsingJobData(Reconcile.ReconcileJob.PeerKey, peer.ToString()).StoreDurably().Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity($"federation-reconcile.{peer}.interval", Group)
            .ForJob(key)
            .StartAt(clock.GetUtcNow().Add(interval))
            .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever())
            .Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
    }

    /// <summary>Runs a peer's sync as soon as possible (after the current run, if one is going on).</summary>
    public async Task TriggerAsync(Guid peer, CancellationToken ct)
    {
        if (!_queued.TryAdd(peer, 0))
        {
            return;
        }
        var scheduler = await schedulers.GetScheduler(ct);
        if (await scheduler.Exists(KeyOf(peer), ct))
        {
            await scheduler.TriggerJob(KeyOf(peer), ct);
        }
        else
        {
            _queued.TryRemove(peer, out _);
        }
    }

    /// <summary>Called by the job as it starts: pokes from now on ask for one more run.</summary>
    internal void Started(Guid peer) => _queued.TryRemove(peer, out _);
}

/// <summary>Pulls one peer; never two runs for the same peer at once.</summary>
[DisallowConcurrentExecution]
public sealed class PeerSyncJob(PeerSynchronizer synchronizer, PeerSyncScheduler scheduler) : IJob
{
    public const string PeerKey = "peer";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var peer = Guid.Parse(context.MergedJobDataMap.GetString(PeerKey)!);
        scheduler.Started(peer);
        await synchronizer.SyncAsync(peer, cancellationToken);
    }
}
