namespace Panoramax.Domain.Jobs;

/// <summary>
/// One unit of durable background work (process a picture, dispatch an upload set, delete files…). Rows are
/// claimed with <c>FOR UPDATE SKIP LOCKED</c> under a lease, so a crashed worker's jobs are taken again once
/// the lease expires, and at most one worker runs a given job at a time.
/// </summary>
public sealed class BackgroundJob
{
    public long Id { get; set; }
    /// <summary>Stable job kind, one of <see cref="JobKinds"/>.</summary>
    public required string Kind { get; set; }
    /// <summary>The entity the job works on (picture, upload set…).</summary>
    public Guid TargetId { get; set; }
    public JobState State { get; set; } = JobState.Queued;
    public int Attempts { get; set; }
    /// <summary>Not claimed before this instant (backoff after a failure, or a delayed start).</summary>
    public DateTimeOffset RunAfter { get; set; }
    /// <summary>While running: the claim expires at this instant, after which another worker may take the job.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public string? LockedBy { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

public enum JobState
{
    Queued,
    Running,
    Succeeded,
    /// <summary>Gave up after the maximum number of attempts; the error stays visible.</summary>
    Failed,
}

/// <summary>Job kind names stored in the table: changing one orphans queued jobs, so they never change.</summary>
public static class JobKinds
{
    public const string ProcessPicture = "process_picture";
    public const string DispatchUploadSet = "dispatch_upload_set";
    public const string DeletePictureFiles = "delete_picture_files";
    public const string ReblurPicture = "reblur_picture";
    public const string ExportAccount = "export_account";
}
