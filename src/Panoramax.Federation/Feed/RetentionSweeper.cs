using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace Panoramax.Federation.Feed;

/// <summary>What one retention sweep did.</summary>
/// <param name="Pruned">Upserts whose payload this sweep removed.</param>
/// <param name="Origins">Origins whose log was walked.</param>
/// <param name="Cutoff">Entries sealed (or received) before this instant were old enough.</param>
public sealed record RetentionSweepResult(long Pruned, int Origins, DateTimeOffset Cutoff);

/// <summary>
/// Retention (spec §7): removes the payload of every sealed upsert that a later sealed entry of the same origin and record
/// supersedes and that was sealed here more than <see cref="FederationOptions.Retention"/> ago. The header stays (every
/// field of the entry bytes and the signature), so each origin's chain stays verifiable from seq 1, and the newest entry
/// of a record is never touched, so every live record stays in the log. Works on every origin stored here (own and
/// relayed) in windows of <see cref="ChunkSize"/> seqs, one short transaction each; running it twice at once is harmless.
/// </summary>
public sealed class RetentionSweeper(NpgsqlDataSource db, IOptions<FederationOptions> options, TimeProvider clock, ILogger<RetentionSweeper> logger)
{
    /// <summary>Seqs per statement: bounds each transaction's locks and WAL, whatever the size of the log.</summary>
    public const int ChunkSize = 5000;

    public async Task<RetentionSweepResult> SweepAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.Retention;
        var origins = new List<(Guid Id, long Max)>();
        await using (var cmd = db.CreateCommand("""
            SELECT i.id, (SELECT max(seq) FROM change_log c WHERE c.origin_instance_id = i.id) FROM instances i
            """))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                if (!r.IsDBNull(1))
                {
                    origins.Add((r.GetGuid(0), r.GetInt64(1)));
                }
            }
        }
        long pruned = 0;
        foreach (var (origin, max) in origins)
        {
            for (long from = 0; from < max; from += ChunkSize)
            {
                pruned += await PruneWindowAsync(origin, from, from + ChunkSize, cutoff, ct);
            }
        }
        logger.Log(pruned > 0 ? LogLevel.Information : LogLevel.Debug,
            "Retention: removed the payload of {Pruned} superseded entries sealed before {Cutoff:u} ({Origins} origins)", pruned, cutoff, origins.Count);
        return new RetentionSweepResult(pruned, origins.Count, cutoff);
    }

    /// <summary>Prunes the entries of one origin with <paramref name="after"/> &lt; seq ≤ <paramref name="upTo"/>.</summary>
    private async Task<int> PruneWindowAsync(Guid origin, long after, long upTo, DateTimeOffset cutoff, CancellationToken ct)
    {
        // The superseding entry must be sealed too: what is served must always end with a payload or a tombstone.
        // Its lookup uses ix_change_log_entity_kind_entity_id_seq; min_seq readers use ix_change_log_pruned.
        await using var cmd = db.CreateCommand("""
            UPDATE change_log c SET payload = NULL
            WHERE c.origin_instance_id = @o AND c.seq > @after AND c.seq <= @upTo
              AND c.op = 'upsert' AND c.payload IS NOT NULL AND c.sealed_at IS NOT NULL AND c.sealed_at < @cutoff
              AND EXISTS (SELECT 1 FROM change_log n
                          WHERE n.entity_kind = c.entity_kind AND n.entity_id = c.entity_id AND n.seq > c.seq
                            AND n.origin_instance_id = c.origin_instance_id AND n.sealed_at IS NOT NULL)
            """);
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("after", after);
        cmd.Parameters.AddWithValue("upTo", upTo);
        cmd.Parameters.AddWithValue("cutoff", cutoff);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>
/// Runs the retention sweep every <see cref="FederationOptions.RetentionSweepInterval"/> (Quartz job
/// <c>federation-retention</c>, first run one interval after start-up) and warns about a retention below 90 days.
/// </summary>
public sealed class RetentionSweepScheduler(
    ISchedulerFactory schedulers,
    IOptions<FederationOptions> options,
    TimeProvider clock,
    ILogger<RetentionSweepScheduler> logger) : IHostedService
{
    /// <summary>Its own group: the peer scheduler removes unknown jobs of the <c>federation</c> group.</summary>
    public static readonly JobKey Key = new("federation-retention", "federation-retention");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }
        if (o.Retention < FederationOptions.RecommendedMinimumRetention)
        {
            logger.LogWarning("Panoramax:Federation:Retention is {Retention}, below the 90 days of the federation spec (§7): "
                + "peers offline for longer than that will need a full snapshot copy. Use such values for tests only.", o.Retention);
        }
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<RetentionSweepJob>().WithIdentity(Key).StoreDurably().Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity("federation-retention.interval", Key.Group)
            .ForJob(Key)
            .StartAt(clock.GetUtcNow() + o.RetentionSweepInterval)
            .WithSimpleSchedule(s => s.WithInterval(o.RetentionSweepInterval).RepeatForever())
            .Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>One scheduled retention sweep; never two at once in this process.</summary>
[DisallowConcurrentExecution]
public sealed class RetentionSweepJob(RetentionSweeper sweeper) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await sweeper.SweepAsync(cancellationToken);
}
