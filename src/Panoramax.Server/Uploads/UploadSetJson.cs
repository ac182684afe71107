using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.UploadSets;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence;
using Panoramax.Server.Http;

namespace Panoramax.Server.Uploads;

/// <summary>
/// The UploadSet and UploadSetFile documents (GeoVisio's shapes), with processing state computed from the picture
/// columns and the jobs table (ingest contract §5): prepared = ready, preparing = preparing or a running job,
/// not_processed = waiting, broken = broken, rejected = tracked rejections.
/// </summary>
public static class UploadSetJson
{
    private sealed record PictureState(Guid Id, Guid? SequenceId, PictureStatus Status, string? ProcessError, bool Running);

    private sealed class Counts
    {
        public int Prepared, Preparing, Broken, NotProcessed;

        public void Add(PictureState p)
        {
            switch (p.Status)
            {
                case PictureStatus.Ready: Prepared++; break;
                case PictureStatus.Broken: Broken++; break;
                case PictureStatus.Preparing: Preparing++; break;
                case PictureStatus.WaitingForProcess when p.Running: Preparing++; break;
                case PictureStatus.WaitingForProcess: NotProcessed++; break;
                default: break;
            }
        }

        public bool Done => Preparing == 0 && NotProcessed == 0;

        public JsonObject ToJson(int? rejected)
        {
            var o = new JsonObject { ["prepared"] = Prepared, ["preparing"] = Preparing, ["broken"] = Broken, ["not_processed"] = NotProcessed };
            if (rejected is { } r)
            {
                o["rejected"] = r;
            }
            return o;
        }
    }

    private static async Task<List<PictureState>> PicturesAsync(PanoramaxDbContext db, Guid setId, CancellationToken ct) =>
        (await db.Pictures
            .Where(p => p.UploadSetId == setId && p.DeletedAt == null)
            .Select(p => new
            {
                p.Id,
                p.SequenceId,
                p.Status,
                p.ProcessError,
                Running = db.Jobs.Any(j => j.TargetId == p.Id && j.Kind == JobKinds.ProcessPicture && j.State == JobState.Running),
            })
            .ToListAsync(ct))
        .Select(p => new PictureState(p.Id, p.SequenceId, p.Status, p.ProcessError, p.Running))
        .ToList();

    public static async Task<JsonObject> BuildAsync(PanoramaxDbContext db, UploadSet set, LinkBuilder links, CancellationToken ct)
    {
        var pictures = await PicturesAsync(db, set.Id, ct);
        var rejected = await db.UploadSetFiles.CountAsync(f => f.UploadSetId == set.Id && f.RejectionReason != null, ct);
        var all = new Counts();
        foreach (var p in pictures)
        {
            all.Add(p);
        }

        var sequences = await db.Sequences
            .Where(s => s.UploadSetId == set.Id && s.DeletedAt == null)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Title)
            .Select(s => new { s.Id, s.Title, s.MinCapturedAt, s.MaxCapturedAt })
            .ToListAsync(ct);
        var collections = new JsonArray();
        var allCollectionsReady = true;
        foreach (var s in sequences)
        {
            var counts = new Counts();
            var inSequence = pictures.Where(p => p.SequenceId == s.Id).ToList();
            foreach (var p in inSequence)
            {
                counts.Add(p);
            }
            var ready = counts.Done && inSequence.Count > 0;
            allCollectionsReady &= ready;
            var c = new JsonObject
            {
                ["id"] = s.Id.ToString(),
                ["title"] = s.Title,
                ["nb_items"] = inSequence.Count,
                ["items_status"] = counts.ToJson(null),
                ["ready"] = ready,
                ["links"] = new JsonArray(Link("self", links.Api($"/api/collections/{s.Id}"))),
            };
            if (s.MinCapturedAt is { } min && s.MaxCapturedAt is { } max)
            {
                c["extent"] = new JsonObject { ["temporal"] = new JsonObject { ["interval"] = new JsonArray(new JsonArray(Z(min), Z(max))) } };
            }
            collections.Add(c);
        }

        var json = new JsonObject
        {
            ["id"] = set.Id.ToString(),
            ["created_at"] = StacTime.Utc(set.CreatedAt),
            ["completed"] = set.Completed,
            ["dispatched"] = set.Dispatched,
            ["ready"] = set.Dispatched && allCollectionsReady && all.Done,
            ["account_id"] = set.AccountId.ToString(),
            ["title"] = set.Title,
            ["estimated_nb_files"] = set.EstimatedFileCount,
            ["sort_method"] = set.SortMethod,
            ["no_split"] = set.NoSplit,
            ["split_distance"] = set.SplitDistanceM,
            ["split_time"] = set.SplitTimeSeconds,
            ["no_deduplication"] = set.NoDeduplication,
            ["duplicate_distance"] = set.DuplicateDistanceM,
            ["duplicate_rotation"] = set.DuplicateRotationDeg,
            ["relative_heading"] = set.RelativeHeading,
            ["visibility"] = set.Visibility?.ToApiName(),
            ["metadata"] = JsonNode.Parse(set.Metadata),
            ["semantics"] = JsonNode.Parse(set.Semantics),
            ["nb_items"] = pictures.Count,
            ["items_status"] = all.ToJson(rejected),
            ["associated_collections"] = collections,
            ["links"] = new JsonArray(Link("self", links.Api($"/api/upload_sets/{set.Id}"))),
        };
        foreach (var (k, v) in json.ToList())
        {
            if (v is null)
            {
                json.Remove(k);
            }
        }
        return json;
    }

    public static async Task<JsonObject> FilesAsync(PanoramaxDbContext db, UploadSet set, Viewer viewer, LinkBuilder links, CancellationToken ct)
    {
        var pictures = (await PicturesAsync(db, set.Id, ct)).ToDictionary(p => p.Id);
        var files = await db.UploadSetFiles.Where(f => f.UploadSetId == set.Id).OrderBy(f => f.InsertedAt).ThenBy(f => f.Id).ToListAsync(ct);
        var owner = VisibilityPolicy.CanSeeUnpublished(viewer, set.AccountId);
        var array = new JsonArray();
        foreach (var f in files)
        {
            PictureState? picture = f.PictureId is { } pid && pictures.TryGetValue(pid, out var p) ? p : null;
            array.Add(File(f, set.Id, links, owner, picture?.Status, picture?.ProcessError));
        }
        return new JsonObject
        {
            ["files"] = array,
            ["links"] = new JsonArray(Link("self", links.Api($"/api/upload_sets/{set.Id}/files")), Link("parent", links.Api($"/api/upload_sets/{set.Id}"))),
        };
    }

    public static JsonObject File(UploadSetFile f, Guid setId, LinkBuilder links, bool showPicture, PictureStatus? status = null, string? processError = null)
    {
        var o = new JsonObject();
        if (showPicture && f.PictureId is { } pid)
        {
            o["picture_id"] = pid.ToString();
        }
        o["file_name"] = f.FileName;
        if (f.ContentMd5 is { } md5)
        {
            o["content_md5"] = md5;
        }
        // Not in GeoVisio's shape (it lists MD5 only): lets the CLI tell which files a set already holds by SHA-256.
        if (f.ContentSha256 is { Length: > 0 } sha)
        {
            o["content_sha256"] = Convert.ToHexStringLower(sha);
        }
        o["inserted_at"] = StacTime.Utc(f.InsertedAt);
        o["file_type"] = "picture";
        o["size"] = f.Size;
        if (f.RejectionReason is { } reason)
        {
            o["rejected"] = new JsonObject
            {
                ["reason"] = reason.ToApiName(),
                ["severity"] = reason == RejectionReason.CaptureDuplicate ? "info" : "error",
                ["message"] = f.RejectionMessage,
                ["details"] = f.RejectionDetails is { } d ? JsonNode.Parse(d) : null,
            };
        }
        // Not in GeoVisio's shape: lets uploaders see processing of each file (ingest contract §5).
        if (showPicture && status is { } s)
        {
            o["picture_status"] = s.ToApiName();
            if (processError is not null)
            {
                o["process_error"] = processError;
            }
        }
        o["links"] = new JsonArray(Link("parent", links.Api($"/api/upload_sets/{setId}")));
        return o;
    }

    private static string Z(DateTimeOffset t) => StacTime.Utc(t).Replace("+00:00", "Z", StringComparison.Ordinal);

    private static JsonObject Link(string rel, string href) => new() { ["rel"] = rel, ["type"] = ApiJson.Json, ["href"] = href };
}
