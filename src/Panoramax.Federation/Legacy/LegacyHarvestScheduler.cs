using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace Panoramax.Federation.Legacy;

/// <summary>A legacy source as the admin API shows it.</summary>
public sealed record LegacySourceStatus(
    Guid Id, string Name, string Url, TimeSpan? Interval, DateTimeOffset? CursorUpdated,
    DateTimeOffset? LastRunAt, DateTimeOffset? LastSuccessAt, string? LastError, DateTimeOffset? LastErrorAt,
    long CollectionsApplied, long PicturesApplied, long CollectionsRejected, long Collections, long Pictures,
    IReadOnlyList<string>? AcceptedLicenses);

/// <summary>
/// Makes the configured sources exist (a synthetic unsigned origin row plus its harvest state) and runs one Quartz job
/// per source (key <c>legacy-harvest.{id}</c>) every <see cref="LegacySourceOptions.Interval"/>, first at start-up.
/// As with peers, the schedule may live in memory: the durable state is the cursor in PostgreSQL.
/// </summary>
public sealed class LegacyHarvestScheduler(
    ISchedulerFactory schedulers,
    NpgsqlDataSource db,
    IOptions<AggregatorOptions> options,
    TimeProvider clock,
    ILogger<LegacyHarvestScheduler> logger) : IHostedService
{
    public const string Group = "legacy-harvest";

    public static JobKey KeyOf(Guid source) => new($"legacy-harvest.{source}", Group);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var source in options.Value.Sources)
        {
            var id = source.InstanceId;
            await EnsureAsync(source, cancellationToken);
            var job = JobBuilder.Create<LegacyHarvestJob>().WithIdentity(KeyOf(id)).UsingJobData(LegacyHarvestJob.SourceKey, id.ToString()).StoreDurably().Build();
            var trigger = TriggerBuilder.Create()
                .WithIdentity($"legacy-harvest.{id}.interval", Group)
                .ForJob(job)
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(source.Interval).RepeatForever())
                .Build();
            await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, cancellationToken);
            logger.LogInformation("Aggregator: harvesting legacy instance {Url} every {Interval}", source.NormalizedUrl, source.Interval);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs a source's harvest as soon as possible (after the current run, if one is going on); false if unknown.</summary>
    public async Task<bool> TriggerAsync(Guid source, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        if (!await scheduler.Exists(KeyOf(source), ct))
        {
            return false;
        }
        await scheduler.TriggerJob(KeyOf(source), ct);
        return true;
    }

    /// <summary>Every source ever harvested here (configured or not any more) with its state and what is held from it.</summary>
    public async Task<List<LegacySourceStatus>> ListAsync(CancellationToken ct)
    {
        var intervals = options.Value.Sources.ToDictionary(s => s.InstanceId, s => s.Interval);
        await using var cmd = db.CreateCommand("""
            SELECT s.instance_id, i.name, s.url, s.cursor_updated, s.last_run_at, s.last_success_at, s.last_error, s.last_error_at,
                   s.collections_applied, s.pictures_applied, s.collections_rejected,
                   (SELECT count(*) FROM sequences q WHERE q.origin_instance_id = s.instance_id AND q.status <> 'deleted'),
                   (SELECT count(*) FROM pictures p WHERE p.origin_instance_id = s.instance_id AND p.status = 'ready'),
                   i.accepted_licenses
            FROM legacy_sources s JOIN instances i ON i.id = s.instance_id
            ORDER BY i.name
            """);
        var list = new List<LegacySourceStatus>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var id = r.GetGuid(0);
            list.Add(new LegacySourceStatus(
                id, r.GetString(1), r.GetString(2), intervals.TryGetValue(id, out var every) ? every : null,
                Time(r, 3), Time(r, 4), Time(r, 5), r.IsDBNull(6) ? null : r.GetString(6), Time(r, 7),
                r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12),
                r.IsDBNull(13) ? null : r.GetFieldValue<string[]>(13)));
        }
        return list;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    /// <summary>
    /// The source's origin row: no key (unsigned: never announced to peers, so never relayed), not a peer, named after
    /// the source, base URL = the source unless another instance already claims it.
    /// </summary>
    private async Task EnsureAsync(LegacySourceOptions source, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO instances (id, name, base_url, public_key, is_self, trust, last_seq, is_peer, rejected_entries, created_at, updated_at)
            VALUES (@id, @name, CASE WHEN EXISTS (SELECT 1 FROM instances WHERE base_url = @url) THEN NULL ELSE @url END,
                    NULL, false, 'trusted', 0, false, 0, @now, @now)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at;
            INSERT INTO legacy_sources (instance_id, url, cursor_ids, collections_applied, pictures_applied, collections_rejected, created_at, updated_at)
            VALUES (@id, @url, '{}', 0, 0, 0, @now, @now)
            ON CONFLICT (instance_id) DO NOTHING;
            """);
        cmd.Parameters.AddWithValue("id", source.InstanceId);
        cmd.Parameters.AddWithValue("name", source.DisplayName.Length <= 200 ? source.DisplayName : source.DisplayName[..200]);
        cmd.Parameters.AddWithValue("url", source.NormalizedUrl);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Harvests one legacy source; never two runs for the same source at once.</summary>
[DisallowConcurrentExecution]
public sealed class LegacyHarvestJob(LegacyHarvester harvester) : IJob
{
    public const string SourceKey = "source";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var source = Guid.Parse(context.MergedJobDataMap.GetString(SourceKey)!);
        await harvester.HarvestAsync(source, cancellationToken);
    }
}
