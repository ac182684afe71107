using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace Panoramax.Federation.Legacy;

/// <summary>
/// A legacy source as the admin API shows it. <see cref="State"/>: <c>configured</c> (in <c>Panoramax:Aggregator:Sources</c>),
/// <c>added</c> (by an admin through the API), <c>removed</c> (by an admin) or <c>unconfigured</c> (dropped from the
/// configuration); only the first two are harvested, and <see cref="Interval"/> is null for the others.
/// </summary>
public sealed record LegacySourceStatus(
    Guid Id, string Name, string Url, string State, TimeSpan? Interval, DateTimeOffset? CursorUpdated,
    DateTimeOffset? LastRunAt, DateTimeOffset? LastSuccessAt, string? LastError, DateTimeOffset? LastErrorAt,
    long CollectionsApplied, long PicturesApplied, long CollectionsRejected, long Collections, long Pictures,
    IReadOnlyList<string>? AcceptedLicenses);

/// <summary>Why an admin's change to the legacy sources cannot be made (the API answers 409 with the message).</summary>
public sealed class LegacySourceConflictException(string message) : Exception(message);

/// <summary>
/// Makes the configured sources exist (a synthetic unsigned origin row plus its harvest state) and runs one Quartz job
/// per source (key <c>legacy-harvest.{id}</c>) every <see cref="LegacySourceOptions.Interval"/>, first at start-up;
/// admins add and remove more sources through the API (stored with their interval, scheduled again at every start).
/// As with peers, the schedule may live in memory: the durable state is in PostgreSQL. A source added or removed is
/// scheduled or unscheduled at once by the process that took the call, by the others at their next start.
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

    /// <summary>Shortest and longest time between two harvests an admin may ask for.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1), MaxInterval = TimeSpan.FromDays(7);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var source in options.Value.Sources)
        {
            await EnsureAsync(source.InstanceId, source.DisplayName, source.NormalizedUrl, null, cancellationToken);
            await ScheduleAsync(scheduler, source.InstanceId, source.NormalizedUrl, source.Interval, cancellationToken);
        }
        var configured = options.Value.Sources.Select(s => s.InstanceId).ToArray();
        await using var cmd = db.CreateCommand("""
            SELECT instance_id, url, harvest_interval FROM legacy_sources
            WHERE harvest_interval IS NOT NULL AND removed_at IS NULL AND instance_id <> ALL(@configured)
            """);
        cmd.Parameters.AddWithValue("configured", configured);
        var added = new List<(Guid Id, string Url, TimeSpan Interval)>();
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
            {
                added.Add((r.GetGuid(0), r.GetString(1), r.GetFieldValue<TimeSpan>(2)));
            }
        }
        foreach (var (id, url, interval) in added)
        {
            await ScheduleAsync(scheduler, id, url, interval, cancellationToken);
        }
    }

    private async Task ScheduleAsync(IScheduler scheduler, Guid id, string url, TimeSpan interval, CancellationToken ct)
    {
        var job = JobBuilder.Create<LegacyHarvestJob>().WithIdentity(KeyOf(id)).UsingJobData(LegacyHarvestJob.SourceKey, id.ToString()).StoreDurably().Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity($"legacy-harvest.{id}.interval", Group)
            .ForJob(job)
            .StartNow()
            .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever())
            .Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
        logger.LogInformation("Aggregator: harvesting legacy instance {Url} every {Interval}", url, interval);
    }

    /// <summary>
    /// Starts harvesting a legacy instance an admin names (the first harvest at once). A source removed before comes
    /// back where it stopped (same origin, same cursor). Returns the source and whether it is new here.
    /// </summary>
    /// <exception cref="LegacySourceConflictException">The source is configured, or already harvested.</exception>
    public async Task<(LegacySourceStatus Source, bool Created)> AddAsync(string url, string? name, TimeSpan interval, CancellationToken ct)
    {
        var source = new LegacySourceOptions { Url = url, Name = name, Interval = interval };
        var id = source.InstanceId;
        if (options.Value.Sources.Any(s => s.InstanceId == id))
        {
            throw new LegacySourceConflictException($"{source.NormalizedUrl} is already harvested: it is in the configuration (Panoramax:Aggregator:Sources), where its settings are changed");
        }
        var existing = await GetAsync(id, ct);
        if (existing is { State: "added" })
        {
            throw new LegacySourceConflictException($"{source.NormalizedUrl} is already harvested here (as {existing.Name}); remove it first to change its settings");
        }
        await EnsureAsync(id, source.DisplayName, source.NormalizedUrl, interval, ct);
        await ScheduleAsync(await schedulers.GetScheduler(ct), id, source.NormalizedUrl, interval, ct);
        return ((await GetAsync(id, ct))!, existing is null);
    }

    /// <summary>Stops harvesting a source an admin added; what was harvested from it stays. False when there is no such source being harvested.</summary>
    /// <exception cref="LegacySourceConflictException">The source is in the configuration (removed there, not here).</exception>
    public async Task<bool> RemoveAsync(Guid id, CancellationToken ct)
    {
        if (options.Value.Sources.FirstOrDefault(s => s.InstanceId == id) is { } configured)
        {
            throw new LegacySourceConflictException($"{configured.NormalizedUrl} is in the configuration (Panoramax:Aggregator:Sources): remove it there and restart");
        }
        await using var cmd = db.CreateCommand("""
            UPDATE legacy_sources SET removed_at = @now, updated_at = @now
            WHERE instance_id = @id AND harvest_interval IS NOT NULL AND removed_at IS NULL
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            return false;
        }
        // A run going on finishes; no other starts.
        await (await schedulers.GetScheduler(ct)).DeleteJob(KeyOf(id), ct);
        logger.LogInformation("Aggregator: legacy source {Source} removed by an admin; its records stay", id);
        return true;
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
    public Task<List<LegacySourceStatus>> ListAsync(CancellationToken ct) => ReadAsync(null, ct);

    /// <summary>One source's state (configured, added, removed…), or null when it was never harvested here.</summary>
    public async Task<LegacySourceStatus?> GetAsync(Guid id, CancellationToken ct) => (await ReadAsync(id, ct)).SingleOrDefault();

    private async Task<List<LegacySourceStatus>> ReadAsync(Guid? only, CancellationToken ct)
    {
        var intervals = options.Value.Sources.ToDictionary(s => s.InstanceId, s => s.Interval);
        await using var cmd = db.CreateCommand("""
            SELECT s.instance_id, i.name, s.url, s.cursor_updated, s.last_run_at, s.last_success_at, s.last_error, s.last_error_at,
                   s.collections_applied, s.pictures_applied, s.collections_rejected,
                   (SELECT count(*) FROM sequences q WHERE q.origin_instance_id = s.instance_id AND q.status <> 'deleted'),
                   (SELECT count(*) FROM pictures p WHERE p.origin_instance_id = s.instance_id AND p.status = 'ready'),
                   i.accepted_licenses, s.harvest_interval, s.removed_at IS NOT NULL
            FROM legacy_sources s JOIN instances i ON i.id = s.instance_id
            WHERE @only::uuid IS NULL OR s.instance_id = @only
            ORDER BY i.name
            """);
        cmd.Parameters.Add(new NpgsqlParameter("only", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = only is { } o ? o : DBNull.Value });
        var list = new List<LegacySourceStatus>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var id = r.GetGuid(0);
            var (state, interval) = intervals.TryGetValue(id, out var every) ? ("configured", every)
                : r.GetBoolean(15) ? ("removed", (TimeSpan?)null)
                : r.IsDBNull(14) ? ("unconfigured", null)
                : ("added", r.GetFieldValue<TimeSpan>(14));
            list.Add(new LegacySourceStatus(
                id, r.GetString(1), r.GetString(2), state, interval,
                Time(r, 3), Time(r, 4), Time(r, 5), r.IsDBNull(6) ? null : r.GetString(6), Time(r, 7),
                r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12),
                r.IsDBNull(13) ? null : r.GetFieldValue<string[]>(13)));
        }
        return list;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    /// <summary>
    /// The source's origin row: no key (unsigned: never announced to peers, so never relayed), not a peer, named after
    /// the source, base URL = the source unless another instance already claims it; and its harvest state, harvested
    /// (not removed) with <paramref name="interval"/> (null: configured).
    /// </summary>
    private async Task EnsureAsync(Guid id, string name, string url, TimeSpan? interval, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO instances (id, name, base_url, public_key, is_self, trust, last_seq, is_peer, rejected_entries, created_at, updated_at)
            VALUES (@id, @name, CASE WHEN EXISTS (SELECT 1 FROM instances WHERE base_url = @url) THEN NULL ELSE @url END,
                    NULL, false, 'trusted', 0, false, 0, @now, @now)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at;
            INSERT INTO legacy_sources (instance_id, url, cursor_ids, collections_applied, pictures_applied, collections_rejected, harvest_interval, created_at, updated_at)
            VALUES (@id, @url, '{}', 0, 0, 0, @interval, @now, @now)
            ON CONFLICT (instance_id) DO UPDATE SET harvest_interval = excluded.harvest_interval, removed_at = NULL, updated_at = excluded.updated_at
            WHERE legacy_sources.harvest_interval IS DISTINCT FROM excluded.harvest_interval OR legacy_sources.removed_at IS NOT NULL;
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("name", name.Length <= 200 ? name : name[..200]);
        cmd.Parameters.AddWithValue("url", url);
        cmd.Parameters.Add(new NpgsqlParameter("interval", NpgsqlTypes.NpgsqlDbType.Interval) { Value = interval is { } i ? i : DBNull.Value });
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
