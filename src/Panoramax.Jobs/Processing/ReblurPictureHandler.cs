using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetVips;
using Panoramax.Blurring;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Pictures;
using Panoramax.Jobs.Publication;
using Panoramax.Persistence;

namespace Panoramax.Jobs.Processing;

/// <summary>
/// Job <c>reblur_picture</c>: a blur correction (regions people asked to hide on a published picture). When the
/// correction was accepted the picture went back to <c>preparing</c> with no HD key, so it is unpublished and its files
/// are not served to anyone but its owner and admins until this job has rewritten them. The source is the kept original
/// when there is one (detectors again, as the picture was first blurred, plus every manual region), otherwise the
/// published HD, which is already blurred (every manual region is hidden again: hiding a hidden region changes
/// nothing visible, which keeps re-runs harmless). HD, SD, thumbnail and 360° tiles are rewritten at their fixed keys,
/// recorded in one update, and the picture is published again in one transaction (version, sequence aggregates,
/// change log, map caches through the publication listeners).
/// </summary>
public sealed class ReblurPictureHandler(
    PanoramaxDbContext db,
    PictureProcessor processor,
    PicturePublisher publisher,
    IOptions<JobsOptions> jobsOptions,
    TimeProvider clock,
    ILogger<ReblurPictureHandler> logger) : IJobHandler
{
    public string Kind => JobKinds.ReblurPicture;

    public async Task<JobOutcome> RunAsync(JobContext job, CancellationToken ct)
    {
        var id = job.TargetId;
        var picture = await PictureRows.StateAsync(db, id, ct);
        if (picture is null || picture.DeletedAt is not null)
        {
            return JobOutcome.Skipped("picture deleted");
        }
        if (picture.Status != PictureStatus.Preparing)
        {
            return JobOutcome.Skipped($"picture is {picture.Status.ToApiName()}, not waiting for a correction");
        }
        if (picture.HdKey is not null)
        {
            // The corrected files were recorded by an earlier run that stopped before publishing.
            await publisher.TryPublishAsync(id, ct);
            return JobOutcome.Success;
        }

        var regions = await PictureRows.ManualRegionsAsync(db, id, ct);
        var fromOriginal = picture.OriginalKey is not null;
        var detect = fromOriginal && picture.BlurSource is BlurSource.Instance or BlurSource.RemoteService;
        var request = new ProcessRequest(id, fromOriginal ? picture.OriginalKey! : StorageKeys.Hd(id), picture.Kind, detect, KeepOriginal: fromOriginal, regions);
        ProcessedFiles files;
        try
        {
            files = await processor.ProcessAsync(request, ct);
        }
        catch (BlurringUnavailableException e)
        {
            var message = $"Blurring is unavailable on this instance, the correction waits until it is: {e.Message}";
            await PictureRows.SetErrorAsync(db, id, message, clock, ct);
            throw new JobDeferredException(message, jobsOptions.Value.BlurUnavailableRetryDelay, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The picture stays unpublished rather than being shown uncorrected.
            var reason = $"Blur correction failed (attempt {job.Attempt} of {job.MaxAttempts}): {PictureRows.FirstLine(e.Message)}";
            if (e is VipsException or FileNotFoundException || job.IsLastAttempt)
            {
                await PictureRows.MarkBrokenAsync(db, id, reason, clock, CancellationToken.None);
                return JobOutcome.Failed(reason);
            }
            await PictureRows.SetErrorAsync(db, id, reason, clock, CancellationToken.None);
            throw;
        }

        var recorded = await Db.ExecAsync(db, """
            UPDATE pictures SET hd_key = @hd, sd_key = @sd, thumb_key = @thumb, tiles_prefix = @tiles, tile_cols = @cols, tile_rows = @rows,
                process_error = NULL, updated_at = @now
            WHERE id = @id AND status = 'preparing' AND hd_key IS NULL AND deleted_at IS NULL
            """, ct,
            ("id", id), ("hd", files.HdKey), ("sd", files.SdKey), ("thumb", files.ThumbKey), ("tiles", files.TilesPrefix),
            ("cols", files.TileCols), ("rows", files.TileRows), ("now", clock.GetUtcNow()));
        if (recorded == 0)
        {
            if (await db.Pictures.AsNoTracking().AnyAsync(p => p.Id == id && p.DeletedAt != null, ct))
            {
                // Deleted meanwhile (its delete job may already have run): leave nothing behind.
                await processor.DeleteFilesAsync(id, uploadKey: null, ct);
                return JobOutcome.Skipped("picture deleted while being corrected");
            }
            return JobOutcome.Skipped("picture changed while being corrected");
        }
        logger.LogInformation("Picture {Id} corrected: {Regions} manual regions hidden ({Source}, {Detections} detections)",
            id, regions.Count, fromOriginal ? "from the kept original" : "from the published picture", files.Detections);
        await publisher.TryPublishAsync(id, ct);
        return JobOutcome.Success;
    }
}
