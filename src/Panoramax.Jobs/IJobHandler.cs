namespace Panoramax.Jobs;

/// <summary>
/// Runs one kind of job. Handlers must be idempotent: a job may run again after a crash at any point (its lease
/// expired), so re-running it must end in the same state without doing anything twice that is visible.
/// Throwing means "try again later" (with backoff, up to the maximum attempts); a permanent failure is returned as
/// <see cref="JobOutcome.Failed"/> instead.
/// </summary>
public interface IJobHandler
{
    /// <summary>The stable key stored in <c>jobs.kind</c> (one of <see cref="Domain.Jobs.JobKinds"/>).</summary>
    string Kind { get; }

    Task<JobOutcome> RunAsync(JobContext job, CancellationToken ct);
}

/// <summary>The claimed job: its target and which attempt this is (1 for the first run).</summary>
public sealed record JobContext(long Id, string Kind, Guid TargetId, int Attempt, int MaxAttempts)
{
    /// <summary>True on the last attempt the worker will make: a handler may then record a permanent failure on its target.</summary>
    public bool IsLastAttempt => Attempt >= MaxAttempts;
}

public enum JobOutcomeKind
{
    Success,
    /// <summary>Nothing to do (target gone, already done).</summary>
    Skipped,
    /// <summary>Permanent failure: retrying cannot help (a corrupt picture).</summary>
    Failed,
}

/// <summary>What a handler reports; <see cref="Reason"/> is kept in <c>jobs.last_error</c> for skips and failures.</summary>
public sealed record JobOutcome(JobOutcomeKind Kind, string? Reason = null)
{
    public static JobOutcome Success { get; } = new(JobOutcomeKind.Success);

    public static JobOutcome Skipped(string reason) => new(JobOutcomeKind.Skipped, reason);

    public static JobOutcome Failed(string reason) => new(JobOutcomeKind.Failed, reason);
}

/// <summary>
/// The job cannot run yet for a reason that is not its own fault (blurring models missing): it is queued again
/// after <see cref="Delay"/> without using one of its attempts.
/// </summary>
public sealed class JobDeferredException : Exception
{
    public JobDeferredException(string message, TimeSpan delay, Exception? inner = null) : base(message, inner)
    {
        Delay = delay;
    }

    public JobDeferredException() : this("deferred", TimeSpan.FromMinutes(1))
    {
    }

    public JobDeferredException(string message) : this(message, TimeSpan.FromMinutes(1))
    {
    }

    public JobDeferredException(string message, Exception innerException) : this(message, TimeSpan.FromMinutes(1), innerException)
    {
    }

    public TimeSpan Delay { get; }
}
