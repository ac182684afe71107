using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Persistence;

namespace Panoramax.Jobs;

/// <summary>
/// Runs due jobs from the <c>jobs</c> table, up to <see cref="JobsOptions.Concurrency"/> at a time. Wakes up at once
/// on a <c>NOTIFY panoramax_jobs</c> (sent by <c>JobQueue.EnqueueAsync</c> when its transaction commits) and otherwise
/// polls every <see cref="JobsOptions.PollInterval"/> (retries coming due, expired leases of dead workers). While a job
/// runs its lease is renewed every third of its duration; if renewing fails (another worker took the job over after a
/// long pause) the job is cancelled here.
/// </summary>
public sealed class JobWorker : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly JobStore _store;
    private readonly NpgsqlDataSource _db;
    private readonly JobsOptions _options;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, Type> _handlerTypes;
    private readonly ILogger<JobWorker> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _running;

    public JobWorker(IServiceScopeFactory scopes, NpgsqlDataSource db, TimeProvider clock, IOptions<JobsOptions> options, IEnumerable<JobHandlerRegistration> handlers, ILogger<JobWorker> logger)
    {
        _scopes = scopes;
        _db = db;
        _clock = clock;
        _store = new JobStore(db, clock);
        _options = options.Value;
        _handlerTypes = handlers.ToDictionary(h => h.Kind, h => h.HandlerType, StringComparer.Ordinal);
        _logger = logger;
        WorkerId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>Written into <c>jobs.locked_by</c>: host, process and a random part (a restarted process is another worker).</summary>
    public string WorkerId { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting (migrations run in a hosted service registered before us).
        await Task.Yield();
        if (Processing.PictureProcessor.RemoveLeftovers() is > 0 and var removed)
        {
            _logger.LogInformation("Removed {Count} temporary folders left by killed workers", removed);
        }
        _logger.LogInformation("Job worker {WorkerId} started: {Concurrency} at a time, kinds {Kinds}", WorkerId, _options.Concurrency, string.Join(", ", _handlerTypes.Keys));
        var listener = ListenAsync(stoppingToken);
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                running.RemoveAll(t => t.IsCompleted);
                var free = _options.Concurrency - running.Count;
                IReadOnlyList<ClaimedJob> claimed = [];
                if (free > 0)
                {
                    try
                    {
                        claimed = await _store.ClaimAsync(WorkerId, free, _handlerTypes.Keys, _options.LeaseDuration, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The database is away (restart, network): the worker waits for it rather than stopping the host.
                        _logger.LogWarning("Claiming jobs failed ({Error}); trying again in {Delay}", e.Message, _options.PollInterval);
                    }
                    foreach (var job in claimed)
                    {
                        running.Add(RunAsync(job, stoppingToken));
                    }
                }
                if (claimed.Count > 0 && claimed.Count == free)
                {
                    // Maybe more is due: look again as soon as a slot frees up.
                    await Task.WhenAny(running);
                    continue;
                }
                var wait = new List<Task> { _wake.WaitAsync(_options.PollInterval, stoppingToken) };
                if (running.Count >= _options.Concurrency)
                {
                    wait.Add(Task.WhenAny(running));
                }
                await Task.WhenAny(wait);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (stoppingToken.IsCancellationRequested)
        {
            // The host was disposed without being stopped: the loop ends like a stop.
        }
        // Jobs stop at their next cancellation check; an unfinished one is taken again after its lease.
        await Task.WhenAll(running.Append(listener)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>How many jobs this worker is running now (tests, health).</summary>
    public int Running => Volatile.Read(ref _running);

    private async Task RunAsync(ClaimedJob job, CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _running);
        using var jobCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = HeartbeatAsync(job, jobCts);
        var started = Stopwatch.GetTimestamp();
        var context = new JobContext(job.Id, job.Kind, job.TargetId, job.Attempts, _options.MaxAttempts);
        try
        {
            JobOutcome outcome;
            await using (var scope = _scopes.CreateAsyncScope())
            {
                var handler = (IJobHandler)scope.ServiceProvider.GetRequiredService(_handlerTypes[job.Kind]);
                outcome = await handler.RunAsync(context, jobCts.Token);
            }
            await jobCts.CancelAsync();
            await heartbeat;
            await _store.FinishAsync(job.Id, WorkerId, outcome.Kind != JobOutcomeKind.Failed, outcome.Reason, CancellationToken.None);
            _logger.Log(outcome.Kind == JobOutcomeKind.Failed ? LogLevel.Warning : LogLevel.Debug,
                "Job {Kind} {Target}: {Outcome} in {Elapsed} {Reason}", job.Kind, job.TargetId, outcome.Kind, Stopwatch.GetElapsedTime(started), outcome.Reason);
        }
        catch (OperationCanceledException) when (jobCts.IsCancellationRequested)
        {
            // Shutting down: back to the queue at once (the attempt does not count), so the next start takes it without
            // waiting for the lease. Lost lease: the row is another worker's now, and the update below changes nothing.
            _logger.LogInformation("Job {Kind} {Target} interrupted; it will run again", job.Kind, job.TargetId);
            await heartbeat;
            await _store.RequeueAsync(job.Id, WorkerId, "interrupted", Now(), countAttempt: false, CancellationToken.None);
        }
        catch (JobDeferredException e)
        {
            await jobCts.CancelAsync();
            await heartbeat;
            await _store.RequeueAsync(job.Id, WorkerId, e.Message, Now() + e.Delay, countAttempt: false, CancellationToken.None);
        }
        catch (Exception e)
        {
            await jobCts.CancelAsync();
            await heartbeat;
            var error = $"{e.GetType().Name}: {e.Message}";
            if (job.Attempts >= _options.MaxAttempts)
            {
                _logger.LogError(e, "Job {Kind} {Target} failed for good after {Attempts} attempts", job.Kind, job.TargetId, job.Attempts);
                await _store.FinishAsync(job.Id, WorkerId, succeeded: false, error, CancellationToken.None);
            }
            else
            {
                var delay = Backoff.Delay(job.Attempts, _options.RetryBaseDelay, _options.MaxRetryDelay, Random.Shared.NextDouble());
                _logger.LogWarning("Job {Kind} {Target} failed (attempt {Attempt}/{Max}), retrying in {Delay}: {Error}", job.Kind, job.TargetId, job.Attempts, _options.MaxAttempts, delay, error);
                await _store.RequeueAsync(job.Id, WorkerId, error, Now() + delay, countAttempt: true, CancellationToken.None);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            // A slot is free: look for more work at once.
            Wake();
        }
    }

    private DateTimeOffset Now() => _clock.GetUtcNow();

    private async Task HeartbeatAsync(ClaimedJob job, CancellationTokenSource jobCts)
    {
        var every = _options.LeaseDuration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(every, jobCts.Token);
                bool kept;
                try
                {
                    kept = await _store.RenewLeaseAsync(job.Id, WorkerId, _options.LeaseDuration, jobCts.Token);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    // The database is briefly away: the lease still has two thirds left, try again next beat.
                    _logger.LogWarning("Renewing the lease of job {Id} failed: {Error}", job.Id, e.Message);
                    continue;
                }
                if (!kept)
                {
                    _logger.LogWarning("Job {Kind} {Target} lost its lease to another worker; stopping it here", job.Kind, job.TargetId);
                    await jobCts.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>LISTEN on a dedicated connection; reconnects after a failure (polling covers the gap).</summary>
    private Task ListenAsync(CancellationToken ct) =>
        PgNotifications.ListenAsync(_db, JobStore.Channel, _ => Wake(),
            e => _logger.LogDebug("Job notifications interrupted ({Error}); polling until they are back", e.Message),
            _options.PollInterval * 5, ct);

    public override void Dispose()
    {
        // Cancel the loop first (a host disposed without being stopped), then free what it waits on.
        base.Dispose();
        _wake.Dispose();
    }
}

/// <summary>Which handler type runs which job kind (one registration per handler, see <c>AddPanoramaxJobs</c>).</summary>
public sealed record JobHandlerRegistration(string Kind, Type HandlerType);
