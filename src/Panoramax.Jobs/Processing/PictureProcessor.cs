using Microsoft.Extensions.Options;
using Panoramax.Blurring;
using Panoramax.Blurring.Detection;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.Imaging;

namespace Panoramax.Jobs.Processing;

/// <summary>
/// What to make for one picture: <c>SourceKey</c> is the raw file (the upload, a kept original when re-processing, or
/// the published HD when correcting without an original); <c>Blur</c> is false when declared blurred, blurring is off,
/// or the source is already blurred; <c>KeepOriginal</c> stores the raw file privately at
/// <see cref="StorageKeys.Original"/>; <c>ManualRegions</c> are regions people asked to hide (upright full-resolution
/// pixels), hidden whatever <c>Blur</c> says, with the same safety margin as detections.
/// </summary>
public sealed record ProcessRequest(Guid PictureId, string SourceKey, PictureKind Kind, bool Blur, bool KeepOriginal, IReadOnlyList<PixelBox>? ManualRegions = null);

/// <summary>Keys of the written files, to record on the picture.</summary>
public sealed record ProcessedFiles(string HdKey, string SdKey, string ThumbKey, string? TilesPrefix, int? TileCols, int? TileRows, string? OriginalKey, int Detections);

/// <summary>
/// The file side of processing a picture, without the database: fetch the raw file, blur it, write HD, SD, thumbnail
/// and (360°) tiles to the blob store. Every write replaces the whole object atomically at a fixed key, so running it
/// again after a crash overwrites instead of duplicating. Works through a temporary folder on disk: a 100 MP panorama
/// is never held in memory whole by us (the blurrer decodes it in libvips' memory; derivatives stream from the file).
/// </summary>
public sealed class PictureProcessor(IBlobStore store, IPictureBlurrer blurrer, DerivativeRenderer renderer, IOptions<BlurringOptions>? blurring = null)
{
    private readonly BlurringOptions _blurring = blurring?.Value ?? new BlurringOptions();

    /// <exception cref="BlurringUnavailableException">the models are missing: nothing was written</exception>
    /// <exception cref="NetVips.VipsException">the picture cannot be decoded</exception>
    /// <exception cref="FileNotFoundException">the source file is not in the store</exception>
    public async Task<ProcessedFiles> ProcessAsync(ProcessRequest request, CancellationToken ct)
    {
        var id = request.PictureId;
        var work = Directory.CreateTempSubdirectory(WorkPrefix);
        try
        {
            var raw = Path.Combine(work.FullName, "raw.jpg");
            await using (var source = await store.OpenReadAsync(request.SourceKey, 0, null, ct)
                ?? throw new FileNotFoundException($"The file of picture {id} is missing from storage ({request.SourceKey})"))
            await using (var file = File.Create(raw))
            {
                await source.CopyToAsync(file, ct);
            }

            var hd = raw;
            var detections = 0;
            var manual = request.ManualRegions ?? [];
            if (request.Blur)
            {
                hd = Path.Combine(work.FullName, "hd.jpg");
                await using var input = new FileStream(raw, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                await using var output = File.Create(hd);
                var equirectangular = request.Kind == PictureKind.Equirectangular;
                if (manual.Count > 0 && blurrer is PictureBlurrer local)
                {
                    // One decode and one JPEG generation for detections and manual regions together.
                    detections = (await local.BlurAsync(input, output, equirectangular, [.. manual.Select(r => r.Grow(_blurring.Margin))], ct)).Detections.Count;
                    manual = [];
                }
                else
                {
                    detections = (await blurrer.BlurAsync(input, output, equirectangular, ct)).Detections.Count;
                }
            }
            if (manual.Count > 0)
            {
                var source = hd;
                hd = Path.Combine(work.FullName, "hd-corrected.jpg");
                await Task.Run(() =>
                {
                    using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                    using var output = File.Create(hd);
                    RegionBlurrer.HideRegions(input, output, manual, _blurring.Margin, _blurring.JpegQuality);
                }, ct);
            }

            // Derivatives first, HD last among the public files: nothing points at them until the database says so,
            // and a re-run rewrites all of them anyway.
            var sd = Path.Combine(work.FullName, "sd.jpg");
            var thumb = Path.Combine(work.FullName, "thumb.jpg");
            await Task.Run(() =>
            {
                using var sdOut = File.Create(sd);
                using var thumbOut = File.Create(thumb);
                renderer.WriteSdAndThumbnail(hd, request.Kind, sdOut, thumbOut);
            }, ct);
            await PutFileAsync(StorageKeys.Sd(id), sd, ct);
            await PutFileAsync(StorageKeys.Thumb(id), thumb, ct);

            string? tilesPrefix = null;
            int? cols = null, rows = null;
            if (request.Kind == PictureKind.Equirectangular)
            {
                var grid = await Task.Run(() => renderer.WriteTilesAsync(hd, async (tile, token) =>
                {
                    using var bytes = new MemoryStream(tile.Jpeg.ToArray(), writable: false);
                    await store.PutAsync(StorageKeys.Tile(id, tile.Col, tile.Row), bytes, "image/jpeg", token);
                }, ct), ct);
                (tilesPrefix, cols, rows) = (StorageKeys.TilesPrefix(id), grid.Cols, grid.Rows);
            }
            await PutFileAsync(StorageKeys.Hd(id), hd, ct);

            string? originalKey = null;
            if (request.KeepOriginal)
            {
                originalKey = StorageKeys.Original(id);
                if (!string.Equals(originalKey, request.SourceKey, StringComparison.Ordinal))
                {
                    await PutFileAsync(originalKey, raw, ct);
                }
            }
            return new ProcessedFiles(StorageKeys.Hd(id), StorageKeys.Sd(id), StorageKeys.Thumb(id), tilesPrefix, cols, rows, originalKey, detections);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>Temporary folders are named after the process, so leftovers of a killed one can be recognised.</summary>
    internal static readonly string WorkPrefix = $"panoramax-job-{Environment.ProcessId}-";

    /// <summary>Where libvips' tiler writes (under the same per-process name).</summary>
    internal static string RendererTempDirectory => Path.Combine(Path.GetTempPath(), WorkPrefix + "tiles");

    /// <summary>Deletes the temporary folders of processes that no longer exist (killed in the middle of a job).</summary>
    public static int RemoveLeftovers()
    {
        var removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "panoramax-job-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length < 4 || !int.TryParse(parts[2], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId || IsAlive(pid))
            {
                continue;
            }
            try
            {
                Directory.Delete(dir, recursive: true);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return removed;
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Removes every file a picture may have (derivatives, tiles, kept original, and its upload when known).</summary>
    public async Task DeleteFilesAsync(Guid pictureId, string? uploadKey, CancellationToken ct)
    {
        await store.DeletePrefixAsync(StorageKeys.PictureFolder(pictureId), ct);
        await store.DeleteAsync(StorageKeys.Original(pictureId), ct);
        if (uploadKey is not null)
        {
            await store.DeleteAsync(uploadKey, ct);
        }
    }

    public Task DeleteUploadAsync(string uploadKey, CancellationToken ct) => store.DeleteAsync(uploadKey, ct);

    private async Task PutFileAsync(string key, string path, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        await store.PutAsync(key, file, "image/jpeg", ct);
    }
}
