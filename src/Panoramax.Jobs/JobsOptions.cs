using System.ComponentModel.DataAnnotations;

namespace Panoramax.Jobs;

/// <summary>
/// How the job worker runs (section <c>Panoramax:Jobs</c>). Defaults suit a small instance: one job at a time per two
/// cores, because blurring and derivatives already spread one picture over every core.
/// </summary>
public sealed class JobsOptions
{
    public const string Section = "Panoramax:Jobs";

    /// <summary>Jobs run at the same time by this process.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>A claimed job belongs to its worker this long; the worker extends it while running, a dead worker's job is taken again after it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often due jobs are looked for when no notification arrived (retries coming due, missed notifications).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts before a job is given up (state failed, its last error kept).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Delay after the first failure; doubled after each further one (with ±25 % jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// When blurring is unavailable (models missing), pictures wait this long before the next try. Such waits do not
    /// count as attempts: the pictures are fine, the instance is not ready, and they must go through once it is.
    /// </summary>
    public TimeSpan BlurUnavailableRetryDelay { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Pipeline switches of the blur step, read from <c>Panoramax:Blurring</c> next to the detector settings.
/// </summary>
public sealed class PipelineBlurOptions
{
    public const string Section = "Panoramax:Blurring";

    /// <summary>
    /// False when the admin turned blurring off for this instance (pictures are then published as uploaded, and
    /// <c>blur_source = disabled_by_admin</c> records who decided).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Keep the unblurred upload privately (for re-processing) instead of deleting it once processed.</summary>
    public bool KeepOriginal { get; set; }
}

/// <summary>Instance defaults of sequence dispatch (section <c>Panoramax:Defaults</c>, GeoVisio 2.10+ values).</summary>
public sealed class DispatchDefaults
{
    public const string Section = "Panoramax:Defaults";

    public int SplitDistanceM { get; set; } = 100;
    public double SplitTimeSeconds { get; set; } = 300;
    public double DuplicateDistanceM { get; set; } = 1;
    public int DuplicateRotationDeg { get; set; } = 60;
}
