using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetVips;
using Panoramax.Blurring;
using Panoramax.Blurring.Remote;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Pictures;
using Panoramax.Jobs.Publication;
using Panoramax.Persistence;

namespace Panoramax.Jobs.Processing;

/// <summary>
/// Job <c>process_picture</c>: blur, derivatives, then publication if the picture is already in a sequence.
/// Idempotent at every step: files are overwritten at fixed keys, the picture row records the keys in one update
/// once every file is written (that update is what "processed" means), the upload is deleted after that update
/// (and again by any re-run), and publication checks the state under a lock. A picture is never published
/// unblurred: without models the job is deferred, the picture stays waiting with its error shown.
/// </summary>
public sealed class ProcessPictureHandler(
    PanoramaxDbContext db,
    PictureProcessor processor,
    PicturePublisher publisher,
    IPictureBlurrer blurrer,
    BlurAvailability blurAvailability,
    IOptions<PipelineBlurOptions> blurOptions,
    IOptions<JobsOptions> jobsOptions,
    TimeProvider clock,
    ILogger<ProcessPictureHandler> logger) : IJobHandler
{
    public string Kind => JobKinds.ProcessPicture;

    public async Task<JobOutcome> RunAsync(JobContext job, CancellationToken ct)
    {
        var id = job.TargetId;
        var picture = await PictureRows.StateAsync(db, id, ct);
        if (picture is null)
        {
            return JobOutcome.Skipped("picture not found");
        }
        if (picture.DeletedAt is not null || picture.Status is PictureStatus.Deleted or PictureStatus.WaitingForDelete)
        {
            // Deleted while waiting (a capture duplicate, the owner): whatever an earlier run wrote must go too.
            await processor.DeleteFilesAsync(id, await UploadKeyAsync(id, ct), ct);
            return JobOutcome.Skipped("picture deleted");
        }
        if (picture.Status is PictureStatus.Ready or PictureStatus.Broken)
        {
            return JobOutcome.Skipped($"picture already {picture.Status}");
        }
        if (picture.HdKey is not null)
        {
            // Files were done by an earlier run that stopped before the end.
            await DeleteUploadAsync(id, picture.OriginalKey, ct);
            await publisher.TryPublishAsync(id, ct);
            return JobOutcome.Success;
        }
        if (picture.OriginalKey is null)
        {
            await MarkBrokenAsync(id, "The picture has no file to process", ct);
            return JobOutcome.Failed("no source file");
        }

        await Db.ExecAsync(db, """
            UPDATE pictures SET status = 'preparing', process_attempts = process_attempts + 1, updated_at = @now
            WHERE id = @id AND status IN ('waiting-for-process', 'preparing') AND deleted_at IS NULL
            """, ct, ("id", id), ("now", clock.GetUtcNow()));

        var declared = picture.Blurred && picture.BlurSource == BlurSource.DeclaredByUploader;
        var enabled = blurOptions.Value.Enabled;
        var blur = !declared && enabled;
        var blurSource = declared ? BlurSource.DeclaredByUploader
            : !enabled ? BlurSource.DisabledByAdmin
            : blurrer is RemoteBlurClient ? BlurSource.RemoteService : BlurSource.Instance;

        ProcessedFiles files;
        try
        {
            // Regions people asked to hide stay hidden when a picture is processed again.
            var manual = await PictureRows.ManualRegionsAsync(db, id, ct);
            files = await processor.ProcessAsync(new ProcessRequest(id, picture.OriginalKey, picture.Kind, blur, blurOptions.Value.KeepOriginal, manual), ct);
        }
        catch (BlurringUnavailableException e)
        {
            var message = $"Blurring is unavailable on this instance, the picture waits until it is: {e.Message}";
            await Db.ExecAsync(db, "UPDATE pictures SET status = 'waiting-for-process', process_error = @error, updated_at = @now WHERE id = @id AND status = 'preparing'",
                ct, ("id", id), ("error", message), ("now", clock.GetUtcNow()));
            if (blurAvailability.ReportUnavailable())
            {
                logger.LogError("Blurring unavailable: pictures stay unpublished and are retried every {Delay}. {Reason}", jobsOptions.Value.BlurUnavailableRetryDelay, e.Message);
            }
            throw new JobDeferredException(message, jobsOptions.Value.BlurUnavailableRetryDelay, e);
        }
        catch (VipsException e)
        {
            var reason = $"The picture could not be decoded: {FirstLine(e.Message)}";
            await processor.DeleteFilesAsync(id, uploadKey: null, ct);
            await MarkBrokenAsync(id, reason, ct);
            return JobOutcome.Failed(reason);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var reason = $"Processing failed (attempt {job.Attempt} of {job.MaxAttempts}): {FirstLine(e.Message)}";
            if (job.IsLastAttempt)
            {
                await MarkBrokenAsync(id, reason, CancellationToken.None);
                return JobOutcome.Failed(reason);
            }
            await PictureRows.SetErrorAsync(db, id, reason, clock, CancellationToken.None);
            throw;
        }
        blurAvailability.ReportAvailable(blur);

        var recorded = await Db.ExecAsync(db, """
            UPDATE pictures SET hd_key = @hd, sd_key = @sd, thumb_key = @thumb, tiles_prefix = @tiles, tile_cols = @cols, tile_rows = @rows,
                blurred = @blurred, blur_source = @blur_source, original_key = @original, process_error = NULL, updated_at = @now
            WHERE id = @id AND status = 'preparing' AND deleted_at IS NULL
            """, ct,
            ("id", id), ("hd", files.HdKey), ("sd", files.SdKey), ("thumb", files.ThumbKey), ("tiles", files.TilesPrefix),
            ("cols", files.TileCols), ("rows", files.TileRows), ("blurred", blur || declared), ("blur_source", blurSource.ToApiName()),
            ("original", files.OriginalKey), ("now", clock.GetUtcNow()));
        if (recorded == 0)
        {
            // Deleted meanwhile: leave nothing behind.
            await processor.DeleteFilesAsync(id, await UploadKeyAsync(id, ct), ct);
            return JobOutcome.Skipped("picture deleted while processing");
        }
        if (!string.Equals(files.OriginalKey, picture.OriginalKey, StringComparison.Ordinal))
        {
            await DeleteUploadAsync(id, picture.OriginalKey, ct);
        }
        logger.LogDebug("Picture {Id} processed ({Detections} regions blurred, blur source {Source})", id, files.Detections, blurSource);
        await publisher.TryPublishAsync(id, ct);
        return JobOutcome.Success;
    }

    private async Task DeleteUploadAsync(Guid id, string? knownKey, CancellationToken ct)
    {
        // After the files are recorded the upload is only reachable through its upload_set_files row.
        var key = knownKey is not null && knownKey.StartsWith("uploads/", StringComparison.Ordinal) ? knownKey : await UploadKeyAsync(id, ct);
        if (key is not null)
        {
            await processor.DeleteUploadAsync(key, ct);
        }
    }

    private async Task<string?> UploadKeyAsync(Guid pictureId, CancellationToken ct)
    {
        var row = await db.UploadSetFiles.AsNoTracking().Where(f => f.PictureId == pictureId).Select(f => new { f.UploadSetId, f.Id }).FirstOrDefaultAsync(ct);
        return row is null ? null : StorageKeys.Upload(row.UploadSetId, row.Id);
    }

    private Task<int> MarkBrokenAsync(Guid id, string reason, CancellationToken ct) => PictureRows.MarkBrokenAsync(db, id, reason, clock, ct);

    private static string FirstLine(string message) => PictureRows.FirstLine(message);
}

/// <summary>Remembers whether blurring was last seen unavailable, so an outage is logged once, not once per picture.</summary>
public sealed class BlurAvailability
{
    private int _unavailable;

    /// <returns>true the first time after blurring worked (or at start): log it then.</returns>
    public bool ReportUnavailable() => Interlocked.Exchange(ref _unavailable, 1) == 0;

    public void ReportAvailable(bool blurred)
    {
        if (blurred)
        {
            Interlocked.Exchange(ref _unavailable, 0);
        }
    }
}
