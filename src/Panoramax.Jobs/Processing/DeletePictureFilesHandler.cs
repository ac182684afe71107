using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Persistence;

namespace Panoramax.Jobs.Processing;

/// <summary>
/// Job <c>delete_picture_files</c>: removes every file of a deleted picture (derivatives, tiles, kept original, its
/// upload). Refuses to touch a picture that is not deleted, so a stray job can never remove published files.
/// </summary>
public sealed class DeletePictureFilesHandler(PanoramaxDbContext db, PictureProcessor processor) : IJobHandler
{
    public string Kind => JobKinds.DeletePictureFiles;

    public async Task<JobOutcome> RunAsync(JobContext job, CancellationToken ct)
    {
        var picture = await db.Pictures.AsNoTracking().Where(p => p.Id == job.TargetId).Select(p => new { p.DeletedAt }).FirstOrDefaultAsync(ct);
        if (picture is { DeletedAt: null })
        {
            return JobOutcome.Skipped("picture is not deleted");
        }
        var upload = await db.UploadSetFiles.AsNoTracking().Where(f => f.PictureId == job.TargetId).Select(f => new { f.UploadSetId, f.Id }).FirstOrDefaultAsync(ct);
        await processor.DeleteFilesAsync(job.TargetId, upload is null ? null : StorageKeys.Upload(upload.UploadSetId, upload.Id), ct);
        return JobOutcome.Success;
    }
}
