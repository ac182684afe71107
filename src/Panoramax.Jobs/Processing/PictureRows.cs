using Microsoft.EntityFrameworkCore;
using Panoramax.Blurring.Detection;
using Panoramax.Domain.Pictures;
using Panoramax.Persistence;

namespace Panoramax.Jobs.Processing;

/// <summary>Picture-row updates and reads shared by the jobs that (re)make a picture's files.</summary>
internal static class PictureRows
{
    /// <summary>What a processing job decides from: where the picture is in its life and what its files are.</summary>
    public sealed record State(PictureStatus Status, DateTimeOffset? DeletedAt, string? HdKey, string? OriginalKey, PictureKind Kind, bool Blurred, BlurSource BlurSource);

    public static Task<State?> StateAsync(PanoramaxDbContext db, Guid id, CancellationToken ct) =>
        db.Pictures.AsNoTracking()
            .Where(p => p.Id == id)
            .Select(p => new State(p.Status, p.DeletedAt, p.HdKey, p.OriginalKey, p.Kind, p.Blurred, p.BlurSource))
            .FirstOrDefaultAsync(ct);

    /// <summary>
    /// Records a permanent failure. A published picture is never marked broken (it keeps its files); a picture deleted
    /// meanwhile keeps its waiting-for-delete status: its delete job owns it now.
    /// </summary>
    public static Task<int> MarkBrokenAsync(PanoramaxDbContext db, Guid id, string reason, TimeProvider clock, CancellationToken ct) =>
        Db.ExecAsync(db, "UPDATE pictures SET status = 'broken', process_error = @error, updated_at = @now WHERE id = @id AND status <> 'ready' AND deleted_at IS NULL",
            ct, ("id", id), ("error", reason), ("now", clock.GetUtcNow()));

    /// <summary>Shows why the last attempt failed (the owner sees it) while the job is retried.</summary>
    public static Task<int> SetErrorAsync(PanoramaxDbContext db, Guid id, string reason, TimeProvider clock, CancellationToken ct) =>
        Db.ExecAsync(db, "UPDATE pictures SET process_error = @error, updated_at = @now WHERE id = @id", ct,
            ("id", id), ("error", reason), ("now", clock.GetUtcNow()));

    /// <summary>The regions people asked to hide on the picture (blur corrections), oldest first.</summary>
    public static async Task<IReadOnlyList<PixelBox>> ManualRegionsAsync(PanoramaxDbContext db, Guid pictureId, CancellationToken ct)
    {
        var rows = await db.PictureBlurRegions.AsNoTracking()
            .Where(r => r.PictureId == pictureId)
            .OrderBy(r => r.CreatedAt)
            .Select(r => new { r.X1, r.Y1, r.X2, r.Y2 })
            .ToListAsync(ct);
        return [.. rows.Select(r => new PixelBox(r.X1, r.Y1, r.X2, r.Y2))];
    }

    public static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
