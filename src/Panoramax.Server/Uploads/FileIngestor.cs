using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.UploadSets;
using Panoramax.Imaging;
using Panoramax.Persistence;
using Panoramax.Persistence.Jobs;
using Panoramax.Server.Http;

namespace Panoramax.Server.Uploads;

/// <summary>What happened to one received file: the HTTP status, the tracked file row (when there is one) or an error body.</summary>
public sealed record IngestOutcome(int Status, UploadSetFile? File, JsonObject? Error);

/// <summary>What the uploader says along with the file (GeoVisio's multipart fields).</summary>
/// <remarks><see cref="Tags"/> are GeoVisio's <c>override_Exif.&lt;key&gt;</c> / <c>override_Xmp.&lt;key&gt;</c> fields, written into the
/// stored JPEG before its metadata is read, so they count as if the camera had written them.</remarks>
public sealed record UploadFields(PictureOverrides? Overrides, bool IsBlurred, IReadOnlyList<MetadataTag> Tags)
{
    public static UploadFields Parse(IReadOnlyDictionary<string, string> fields)
    {
        var blurred = false;
        if (fields.TryGetValue("isBlurred", out var b) && b.Length > 0)
        {
            blurred = b.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                _ => throw ApiException.BadRequest("isBlurred must be 'true' or 'false'", new { input = b }),
            };
        }
        var tags = ParseTags(fields);
        DateTimeOffset? time = null;
        if (fields.TryGetValue("override_capture_time", out var t) && t.Length > 0)
        {
            if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                throw ApiException.BadRequest("override_capture_time must be an ISO 8601 date and time", new { input = t });
            }
            time = parsed;
        }
        var lon = Number(fields, "override_longitude");
        var lat = Number(fields, "override_latitude");
        if ((lon is null) != (lat is null))
        {
            throw ApiException.BadRequest("override_longitude and override_latitude must be given together");
        }
        var overrides = time is null && lon is null ? null : new PictureOverrides { CapturedAt = time, Longitude = lon, Latitude = lat };
        return new UploadFields(overrides, blurred, tags);
    }

    private static List<MetadataTag> ParseTags(IReadOnlyDictionary<string, string> fields)
    {
        const string prefix = "override_";
        var tags = fields
            .Where(f => f.Key.StartsWith(prefix + "Exif.", StringComparison.Ordinal) || f.Key.StartsWith(prefix + "Xmp.", StringComparison.Ordinal))
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => new MetadataTag(f.Key[prefix.Length..], f.Value))
            .ToList();
        if (tags.Count > MetadataTagWriter.MaxTags)
        {
            throw ApiException.BadRequest($"at most {MetadataTagWriter.MaxTags} override_Exif/override_Xmp fields may be sent with one file", new { count = tags.Count });
        }
        foreach (var tag in tags)
        {
            if (MetadataTagWriter.Validate(tag) is { } error)
            {
                throw ApiException.BadRequest($"override_{tag.Key}: {error}");
            }
        }
        return tags;
    }

    private static double? Number(IReadOnlyDictionary<string, string> fields, string name)
    {
        if (!fields.TryGetValue(name, out var text) || text.Length == 0)
        {
            return null;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw ApiException.BadRequest($"{name} must be a number", new { input = text });
    }
}

/// <summary>
/// Turns a received file into an upload-set file row and, when accepted, a picture waiting for processing (see the
/// ingest contract): duplicate checks, metadata reading, storage of the raw bytes, then one transaction for the rows,
/// the processing job and the set's completion. A failure after the file was stored deletes it again.
/// </summary>
public sealed class FileIngestor(
    PanoramaxDbContext db,
    PictureMetadataReader reader,
    IBlobStore store,
    MetadataTagWriter tagWriter,
    TimeProvider clock,
    ILogger<FileIngestor> logger)
{
    public async Task<IngestOutcome> IngestAsync(UploadSet set, ReceivedUpload upload, UploadFields fields, CancellationToken ct)
    {
        var name = FileNames.Sanitise(upload.ClientFileName);
        if (await ConflictAsync(set, upload, name, ct) is { } early)
        {
            return early;
        }

        if (await WriteTagsAsync(upload, fields, ct) is { } refused)
        {
            return await RejectAsync(set, upload, name, RejectionReason.InvalidFile, refused.Message,
                new JsonObject { ["error"] = refused.Message }, StatusCodes.Status400BadRequest, extra: null, ct);
        }
        var read = reader.Read(upload.SpoolPath!, fields.Overrides);
        if (!read.IsAccepted)
        {
            var r = read.Rejection;
            var details = new JsonObject { ["error"] = r.Message };
            if (r.MissingFields.Count > 0)
            {
                details["missing_fields"] = new JsonArray([.. r.MissingFields.Select(f => JsonValue.Create(f))]);
            }
            var reason = r.Reason == RejectionReasons.InvalidMetadata ? RejectionReason.InvalidMetadata : RejectionReason.InvalidFile;
            return await RejectAsync(set, upload, name, reason, r.Message, details, StatusCodes.Status400BadRequest, extra: null, ct);
        }
        var position = new Point(read.Metadata.Longitude, read.Metadata.Latitude) { SRID = 4326 };
        if (await Persistence.Manage.ExcludedAreas.ContainsAsync(db, set.AccountId, position, ct))
        {
            const string excluded = "The picture is located within an excluded area, where this instance does not accept pictures";
            return await RejectAsync(set, upload, name, RejectionReason.InvalidMetadata, excluded,
                new JsonObject { ["error"] = excluded, ["excluded_area"] = true }, StatusCodes.Status400BadRequest, extra: null, ct);
        }

        var fileId = Guid.CreateVersion7(clock.GetUtcNow());
        var key = StorageKeys.Upload(set.Id, fileId);
        await using (var content = new FileStream(upload.SpoolPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            await store.PutAsync(key, content, "image/jpeg", ct);
        }
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await LockAsync(set.Id, ct);
            // Checked again under the set's lock: a parallel request may have sent the same file meanwhile.
            if (await ConflictAsync(set, upload, name, ct) is { } late)
            {
                await tx.RollbackAsync(CancellationToken.None);
                await DeleteQuietlyAsync(key);
                return late;
            }
            var now = clock.GetUtcNow();
            var picture = await NewPictureAsync(read.Metadata, set.AccountId, set.Visibility, upload, name, fields.IsBlurred, key, now, ct);
            picture.UploadSetId = set.Id;
            db.Pictures.Add(picture);
            await RemovePreviousRejectionsAsync(set.Id, name, ct);
            var file = new UploadSetFile
            {
                Id = fileId,
                UploadSetId = set.Id,
                PictureId = picture.Id,
                FileName = name,
                Size = upload.Size,
                ContentMd5 = upload.Md5Hex,
                ContentSha256 = upload.Sha256,
                InsertedAt = now,
            };
            db.UploadSetFiles.Add(file);
            await db.SaveChangesAsync(ct);
            await JobQueue.EnqueueAsync(db, JobKinds.ProcessPicture, picture.Id, clock, ct);
            await UpdateCompletionAsync(db, set, clock, ct);
            await tx.CommitAsync(ct);
            return new IngestOutcome(StatusCodes.Status202Accepted, file, null);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Storing the rows of {File} in upload set {Set} failed; removing its stored file", name, set.Id);
            db.ChangeTracker.Clear();
            await DeleteQuietlyAsync(key);
            throw;
        }
    }

    /// <summary>The 409 answers: same bytes in this set (not tracked), same name in this set (not tracked), same bytes elsewhere (tracked).</summary>
    /// <summary>Writes the uploader's EXIF/XMP tags into the spooled file. A file exiv2 cannot even parse is returned as
    /// the reader's own rejection (tracked like any bad file); a refused key or value is the request's fault (400).</summary>
    private async Task<PictureRejection?> WriteTagsAsync(ReceivedUpload upload, UploadFields fields, CancellationToken ct)
    {
        if (fields.Tags.Count == 0)
        {
            return null;
        }
        try
        {
            await tagWriter.WriteAsync(upload.SpoolPath!, fields.Tags, ct);
            return null;
        }
        catch (MetadataTagException e) when (e.ToolMissing)
        {
            logger.LogError("Cannot honour override_Exif/override_Xmp fields: {Reason}", e.Message);
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        catch (MetadataTagException e)
        {
            var plain = reader.Read(upload.SpoolPath!, fields.Overrides);
            if (!plain.IsAccepted && plain.Rejection.Reason == RejectionReasons.InvalidFile)
            {
                return plain.Rejection;
            }
            throw ApiException.BadRequest(e.Message, new { tags = fields.Tags.Select(t => t.Key).ToArray() });
        }
    }

    private async Task<IngestOutcome?> ConflictAsync(UploadSet set, ReceivedUpload upload, string name, CancellationToken ct)
    {
        var sha = upload.Sha256;
        var sameBytes = await (from f in db.UploadSetFiles
                               join p in db.Pictures on f.PictureId equals p.Id
                               where f.UploadSetId == set.Id && f.ContentSha256 == sha && p.DeletedAt == null
                               select (Guid?)p.Id).FirstOrDefaultAsync(ct);
        if (sameBytes is { } existing)
        {
            return new IngestOutcome(StatusCodes.Status409Conflict, null, Error(StatusCodes.Status409Conflict,
                "The same picture has already been sent in this upload set", new JsonObject { ["existing_item"] = new JsonObject { ["id"] = existing.ToString() } }));
        }
        var sameName = await (from f in db.UploadSetFiles
                              join p in db.Pictures on f.PictureId equals p.Id
                              where f.UploadSetId == set.Id && f.FileName == name && p.DeletedAt == null
                              select (Guid?)p.Id).FirstOrDefaultAsync(ct);
        if (sameName is { } named)
        {
            return new IngestOutcome(StatusCodes.Status409Conflict, null, Error(StatusCodes.Status409Conflict,
                $"Another picture named {name} is already in this upload set", new JsonObject { ["existing_item"] = new JsonObject { ["id"] = named.ToString() } }));
        }
        var elsewhere = await db.Pictures
            .Where(p => p.AccountId == set.AccountId && p.ContentSha256 == sha && p.DeletedAt == null && (p.UploadSetId == null || p.UploadSetId != set.Id))
            .OrderBy(p => p.CreatedAt)
            .Select(p => new { p.Id, p.UploadSetId })
            .Take(10)
            .ToListAsync(ct);
        if (elsewhere.Count > 0)
        {
            var sets = new JsonArray([.. elsewhere.Select(e => (JsonNode)new JsonObject
            {
                ["existing_item_id"] = e.Id.ToString(),
                ["upload_set_id"] = e.UploadSetId?.ToString(),
            })]);
            const string message = "The same picture has already been uploaded in another upload set";
            return await RejectAsync(set, upload, name, RejectionReason.FileDuplicate, message,
                new JsonObject { ["upload_sets"] = sets.DeepClone() }, StatusCodes.Status409Conflict, new JsonObject { ["upload_sets"] = sets }, ct);
        }
        return null;
    }

    /// <summary>Tracks a rejected file (no stored file, no picture) so the uploader sees why, and answers with the error body.</summary>
    private async Task<IngestOutcome> RejectAsync(UploadSet set, ReceivedUpload upload, string name, RejectionReason reason, string message,
        JsonObject details, int status, JsonObject? extra, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(set.Id, ct);
        var now = clock.GetUtcNow();
        await RemovePreviousRejectionsAsync(set.Id, name, ct);
        var file = new UploadSetFile
        {
            Id = Guid.CreateVersion7(now),
            UploadSetId = set.Id,
            FileName = name,
            Size = upload.Size,
            ContentMd5 = upload.Md5Hex,
            ContentSha256 = upload.Sha256,
            InsertedAt = now,
            RejectionReason = reason,
            RejectionMessage = message.Length > 2000 ? message[..2000] : message,
            RejectionDetails = details.ToJsonString(),
        };
        db.UploadSetFiles.Add(file);
        await db.SaveChangesAsync(ct);
        await UpdateCompletionAsync(db, set, clock, ct);
        await tx.CommitAsync(ct);

        var body = Error(status, message, extra ?? new JsonObject { ["details"] = details.DeepClone() });
        // Not in GeoVisio's body: the tracked rejection as GET …/files shows it, so clients need no second call.
        body["rejected"] = new JsonObject
        {
            ["reason"] = reason.ToApiName(),
            ["severity"] = "error",
            ["message"] = file.RejectionMessage,
            ["details"] = details.DeepClone(),
        };
        return new IngestOutcome(status, file, body);
    }

    /// <summary>A file sent again under the same name (fixed by the uploader) replaces its earlier rejection.</summary>
    private Task<int> RemovePreviousRejectionsAsync(Guid setId, string name, CancellationToken ct) =>
        db.UploadSetFiles.Where(f => f.UploadSetId == setId && f.FileName == name && f.PictureId == null).ExecuteDeleteAsync(ct);

    /// <summary>Serialises writers of one set: the completion count must see every file.</summary>
    private Task<int> LockAsync(Guid setId, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT 1 FROM upload_sets WHERE id = {setId} FOR UPDATE", ct);

    /// <summary>
    /// Auto-completion at <c>estimated_nb_files</c> received files (rejections included), and un-completion of a completed set by a
    /// new file; a (re)completion queues dispatch in the same transaction. Call under the set's lock, after saving the new file.
    /// </summary>
    internal static async Task UpdateCompletionAsync(PanoramaxDbContext db, UploadSet set, TimeProvider clock, CancellationToken ct)
    {
        var tracked = await db.UploadSets.SingleAsync(s => s.Id == set.Id, ct);
        var count = await db.UploadSetFiles.CountAsync(f => f.UploadSetId == set.Id, ct);
        var complete = tracked.EstimatedFileCount is { } estimated && count >= estimated;
        tracked.Completed = complete;
        // A new file is not in any sequence yet: the set is no longer fully dispatched.
        tracked.Dispatched = false;
        tracked.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        if (complete)
        {
            await JobQueue.EnqueueAsync(db, JobKinds.DispatchUploadSet, set.Id, clock, ct);
        }
        set.Completed = tracked.Completed;
        set.Dispatched = tracked.Dispatched;
        set.UpdatedAt = tracked.UpdatedAt;
    }

    /// <summary>A picture row from accepted metadata, as the ingest contract wants it (waiting for process, no derivatives yet).</summary>
    internal async Task<Picture> NewPictureAsync(PictureMetadata m, Guid ownerId, Domain.Visibility.Visibility? setVisibility, ReceivedUpload upload,
        string name, bool isBlurred, string key, DateTimeOffset now, CancellationToken ct)
    {
        var origin = await db.Instances.Where(i => i.IsSelf).Select(i => i.Id).FirstAsync(ct);
        var owner = await db.Accounts.Where(a => a.Id == ownerId).Select(a => new { a.DefaultVisibility, a.DefaultLicense }).FirstAsync(ct);
        return new Picture
        {
            Id = Guid.CreateVersion7(now),
            OriginInstanceId = origin,
            AccountId = ownerId,
            Rank = 0,
            Location = new Point(m.Longitude, m.Latitude) { SRID = 4326 },
            CapturedAt = m.CapturedAt,
            CaptureUtcOffsetMinutes = m.UtcOffsetMinutes,
            Heading = m.Heading,
            HeadingFromUser = m.Heading is not null,
            Pitch = m.Pitch,
            Roll = m.Roll,
            Kind = m.Kind,
            CameraMake = Clip(m.CameraMake, 200),
            CameraModel = Clip(m.CameraModel, 200),
            FocalLengthMm = m.FocalLengthMm,
            FieldOfViewDeg = m.FieldOfViewDeg,
            Width = m.Width,
            Height = m.Height,
            GpsAccuracyM = m.GpsAccuracyM,
            ContentSha256 = upload.Sha256,
            OriginalFileName = name,
            OriginalFileSize = upload.Size,
            Status = PictureStatus.WaitingForProcess,
            Visibility = setVisibility ?? owner.DefaultVisibility,
            License = owner.DefaultLicense,
            Blurred = isBlurred,
            BlurSource = isBlurred ? BlurSource.DeclaredByUploader : BlurSource.None,
            Exif = JsonSerializer.Serialize(m.Exif),
            OriginalKey = key,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    internal async Task DeleteQuietlyAsync(string key)
    {
        try
        {
            await store.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException)
        {
            logger.LogError(e, "Could not delete the orphan upload file {Key}", key);
        }
    }

    private static string? Clip(string? s, int max) => s is null || s.Length <= max ? s : s[..max];

    internal static JsonObject Error(int status, string message, JsonObject? payload = null)
    {
        var body = new JsonObject { ["message"] = message, ["status_code"] = status };
        if (payload is not null)
        {
            foreach (var (k, v) in payload.ToList())
            {
                payload.Remove(k);
                body[k] = v;
            }
        }
        return body;
    }
}
