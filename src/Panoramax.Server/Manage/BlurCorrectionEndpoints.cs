using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Panoramax.Auth;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Moderation;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Reports;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence;
using Panoramax.Persistence.Jobs;
using Panoramax.Server.Http;

namespace Panoramax.Server.Manage;

/// <summary>
/// Blur corrections (GeoVisio has no such route): the owner of a published picture, or a moderator, points at regions
/// the detectors missed (a face, a plate) and the picture is blurred again with them, durably (job
/// <c>reblur_picture</c>). Privacy first: accepting a correction unpublishes the picture in the same transaction
/// (status <c>preparing</c>, no HD key), so its uncorrected files stop being served to anyone but the owner and admins
/// at once, and it comes back, corrected, when the job has rewritten every file. The regions are kept on the picture
/// (<c>picture_blur_regions</c>) so any later processing hides them again. Answering a report with a correction
/// closes it and records the act in the moderation log.
/// </summary>
public static class BlurCorrectionEndpoints
{
    /// <summary>Regions in one request.</summary>
    public const int MaxRegionsPerRequest = 50;

    /// <summary>Regions kept on one picture.</summary>
    public const int MaxRegionsPerPicture = 500;

    private const int MaxComment = 4000;

    public static RouteGroupBuilder MapBlurCorrections(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("").WithTags("Managing").RequireLogin();
        g.MapPost("/collections/{collectionId:guid}/items/{id:guid}/blur_regions", AddAsync).WithName("AddBlurRegions")
            .WithSummary("Owner or moderator: blur more of a published picture ({\"regions\": [[x1, y1, x2, y2], …] in full-resolution pixels, optional report_id, comment}); "
                + "202, the picture is unpublished until its files are blurred again");
        g.MapGet("/collections/{collectionId:guid}/items/{id:guid}/blur_regions", ListAsync).WithName("ListBlurRegions")
            .WithSummary("Owner or moderator: the regions people asked to hide on a picture");
        return api;
    }

    /// <summary>Where a picture's blur corrections are sent (reports about missing blur link to it).</summary>
    public static string Route(Guid collectionId, Guid pictureId) => $"/api/collections/{collectionId}/items/{pictureId}/blur_regions";

    private sealed record Target(Guid Id, Guid OwnerId, Guid SequenceId, PictureStatus Status, int Width, int Height, bool IsCopy);

    internal static async Task<IResult> AddAsync(
        Guid collectionId, Guid id, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, LinkBuilder links, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var body = await EditBody.ReadAsync(request, ct);
        if (!body.IsJson)
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "Blur corrections are sent as JSON (Content-Type: application/json)");
        }
        var unknown = body.Names.Except(["regions", "report_id", "comment"]).ToList();
        if (unknown.Count > 0)
        {
            throw ApiException.BadRequest($"Unknown field(s): {string.Join(", ", unknown)}; a blur correction holds regions, and optionally report_id and comment");
        }
        var boxes = ReadBoxes(body);
        var reportId = body.Id("report_id");
        var comment = body.Text("comment", MaxComment);
        if (string.IsNullOrEmpty(comment))
        {
            comment = null;
        }

        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var pic = await FindAsync(tx, viewer, collectionId, id, ct);
            if (!VisibilityPolicy.CanModify(viewer, pic.OwnerId))
            {
                throw ApiException.Forbidden("Only the owner of this picture or a moderator can blur more of it; anyone can report it (POST /api/reports with issue blur_missing)");
            }
            if (pic.IsCopy)
            {
                throw ApiException.Conflict("This picture comes from another instance of the network: ask for the correction there, on its origin");
            }
            if (pic.Status != PictureStatus.Ready || await CorrectionRunningAsync(tx, id, ct))
            {
                throw ApiException.Conflict($"The picture is being processed (status {pic.Status.ToApiName()}): send the correction again once it is ready");
            }
            ValidateInside(boxes, pic.Width, pic.Height);
            var existing = await ef.PictureBlurRegions.CountAsync(r => r.PictureId == id, ct);
            if (existing + boxes.Count > MaxRegionsPerPicture)
            {
                throw ApiException.BadRequest($"A picture holds at most {MaxRegionsPerPicture} blur regions ({existing} already); merge neighbouring regions into bigger ones");
            }
            Report? report = null;
            if (reportId is { } rid)
            {
                report = await ef.Reports.FindAsync([rid], ct) ?? throw ApiException.NotFound($"Report {rid} not found");
                if (report.PictureId != id)
                {
                    throw ApiException.BadRequest($"Report {rid} is not about picture {id}", new { report_id = rid, picture_id = report.PictureId });
                }
            }

            var actor = viewer.AccountId!.Value;
            foreach (var (b, i) in boxes.Select((b, i) => (b, i)))
            {
                ef.PictureBlurRegions.Add(new PictureBlurRegion
                {
                    Id = Guid.CreateVersion7(tx.Now),
                    PictureId = id,
                    X1 = b.X1,
                    Y1 = b.Y1,
                    X2 = b.X2,
                    Y2 = b.Y2,
                    AddedByAccountId = actor,
                    ReportId = reportId,
                    // Distinct instants keep the request's order when regions are read back.
                    CreatedAt = tx.Now.AddTicks(i * 10),
                });
            }
            // Unpublished until the job has rewritten the files: no HD key means "files not done", which nothing publishes.
            await tx.ExecAsync("UPDATE pictures SET status = 'preparing', hd_key = NULL, process_error = NULL WHERE id = @id", ct, ("id", id));
            await JobQueue.EnqueueAsync(ef, JobKinds.ReblurPicture, id, clock, ct);

            var reason = comment ?? $"Blur correction: {boxes.Count} region(s) added";
            if (report is not null || pic.OwnerId != actor)
            {
                ef.ModerationActions.Add(new ModerationAction
                {
                    Id = Guid.CreateVersion7(tx.Now),
                    Kind = ModerationActionKind.BlurCorrection,
                    ActorAccountId = actor,
                    PictureId = id,
                    SequenceId = pic.SequenceId,
                    ReportId = reportId,
                    Reason = reason,
                    CreatedAt = tx.Now,
                });
            }
            if (report is not null)
            {
                report.Status = ReportStatus.ClosedSolved;
                report.ResolverAccountId = actor;
                report.ResolverComments ??= reason;
                report.UpdatedAt = tx.Now;
            }
            tx.TouchPicture(id);
            tx.TouchSequence(pic.SequenceId);
            await tx.CommitAsync(ct);
        }
        // The picture left the map until it is published again (which refreshes the map once more).
        await map.AfterEditAsync();
        var json = await JsonAsync(ef, links, collectionId, id, ct);
        return Results.Json(json, ApiJson.Options, ApiJson.Json, StatusCodes.Status202Accepted);
    }

    internal static async Task<IResult> ListAsync(Guid collectionId, Guid id, CurrentViewer current, PanoramaxDbContext ef, LinkBuilder links, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var pic = await FindAsync(tx, viewer, collectionId, id, ct);
            if (!VisibilityPolicy.CanModify(viewer, pic.OwnerId))
            {
                throw ApiException.Forbidden("Only the owner of this picture or a moderator can see its blur corrections");
            }
        }
        return Results.Json(await JsonAsync(ef, links, collectionId, id, ct), ApiJson.Options, ApiJson.Json);
    }

    /// <summary>The picture through the visibility policy (404 when the caller cannot see it), locked for the edit.</summary>
    private static async Task<Target> FindAsync(EditTransaction tx, Viewer viewer, Guid collectionId, Guid id, CancellationToken ct)
    {
        var pic = await ManageEndpoints.FindPictureAsync(tx, viewer, collectionId, id, ct, allowCopy: true)
            ?? throw ApiException.NotFound($"Picture {id} not found in collection {collectionId}");
        await using var cmd = tx.Command("SELECT status, width, height, remote_assets IS NOT NULL FROM pictures WHERE id = @id", ("id", id));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new Target(id, pic.AccountId, pic.SequenceId, ApiNames.ParseApiName<PictureStatus>(r.GetString(0)), r.GetInt32(1), r.GetInt32(2), r.GetBoolean(3));
    }

    private static async Task<bool> CorrectionRunningAsync(EditTransaction tx, Guid id, CancellationToken ct)
    {
        // A job that just published its correction is still "running" for a moment; a new job could not be queued
        // behind it (one queued or running job per kind and target), so this correction must wait.
        await using var cmd = tx.Command("SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = @kind AND target_id = @id AND state = 'running')",
            ("kind", JobKinds.ReblurPicture), ("id", id));
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    private readonly record struct Box(int X1, int Y1, int X2, int Y2);

    private static List<Box> ReadBoxes(EditBody body)
    {
        const string Shape = "a list of boxes [x1, y1, x2, y2] in pixels of the full-resolution picture (top-left origin, x2 and y2 excluded)";
        if (body.Raw("regions") is not { ValueKind: JsonValueKind.Array } regions)
        {
            throw ApiException.BadRequest($"regions is required: {Shape}");
        }
        var count = regions.GetArrayLength();
        if (count is 0 or > MaxRegionsPerRequest)
        {
            throw EditBody.Bad("regions", $"must hold 1 to {MaxRegionsPerRequest} boxes, {Shape}", regions);
        }
        var boxes = new List<Box>(count);
        var index = 0;
        foreach (var region in regions.EnumerateArray())
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"regions[{index++}]");
            if (region.ValueKind != JsonValueKind.Array || region.GetArrayLength() != 4
                || region.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number || !double.IsFinite(v.GetDouble())))
            {
                throw EditBody.Bad(name, "must be a box [x1, y1, x2, y2] of four numbers", region);
            }
            var v = region.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            if (v[2] <= v[0] || v[3] <= v[1])
            {
                throw EditBody.Bad(name, "must have a positive size: x2 > x1 and y2 > y1", region);
            }
            if (v.Any(c => c < 0 || c > 1_000_000))
            {
                throw EditBody.Bad(name, "has a coordinate outside the picture", region);
            }
            // Fractions round outwards: never blur less than asked.
            boxes.Add(new Box((int)Math.Floor(v[0]), (int)Math.Floor(v[1]), (int)Math.Ceiling(v[2]), (int)Math.Ceiling(v[3])));
        }
        return boxes;
    }

    private static void ValidateInside(List<Box> boxes, int width, int height)
    {
        for (var i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            if (b.X2 > width || b.Y2 > height)
            {
                throw ApiException.BadRequest(
                    string.Create(CultureInfo.InvariantCulture, $"regions[{i}] goes outside the picture, which is {width}×{height} pixels (x2 ≤ {width}, y2 ≤ {height})"),
                    new[] { new { fields = new[] { $"regions[{i}]" }, error = "outside the picture", input = new[] { b.X1, b.Y1, b.X2, b.Y2 }, width, height } });
            }
        }
    }

    private static async Task<JsonObject> JsonAsync(PanoramaxDbContext ef, LinkBuilder links, Guid collectionId, Guid id, CancellationToken ct)
    {
        var status = await ef.Pictures.AsNoTracking().Where(p => p.Id == id).Select(p => p.Status).FirstAsync(ct);
        var rows = await ef.PictureBlurRegions.AsNoTracking().Where(r => r.PictureId == id).OrderBy(r => r.CreatedAt).ToListAsync(ct);
        var regions = new JsonArray();
        foreach (var r in rows)
        {
            var o = new JsonObject
            {
                ["id"] = r.Id.ToString(),
                ["shape"] = new JsonArray(r.X1, r.Y1, r.X2, r.Y2),
                ["created_at"] = StacTime.Utc(r.CreatedAt),
            };
            if (r.AddedByAccountId is { } by)
            {
                o["added_by_account_id"] = by.ToString();
            }
            if (r.ReportId is { } report)
            {
                o["report_id"] = report.ToString();
            }
            regions.Add(o);
        }
        return new JsonObject
        {
            ["picture_id"] = id.ToString(),
            ["collection_id"] = collectionId.ToString(),
            ["status"] = status.ToApiName(),
            ["blur_regions"] = regions,
            ["links"] = new JsonArray(
                new JsonObject { ["rel"] = "self", ["type"] = ApiJson.Json, ["href"] = links.Api(Route(collectionId, id)) },
                new JsonObject { ["rel"] = "item", ["type"] = ApiJson.GeoJson, ["href"] = links.Api($"/api/collections/{collectionId}/items/{id}") }),
        };
    }
}
