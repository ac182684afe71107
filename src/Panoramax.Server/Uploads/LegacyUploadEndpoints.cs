using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.Visibility;
using Panoramax.Imaging;
using Panoramax.Persistence;
using Panoramax.Persistence.Jobs;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Uploads;

/// <summary>
/// The upload protocol of pre-2.7 clients (geovisio_cli ≤ 0.3): create an empty collection, post each picture at a
/// given position, poll <c>geovisio_status</c>. Pictures go straight into the sequence (no upload set, no dispatch);
/// rejections are plain 400 answers, not tracked.
/// </summary>
public static class LegacyUploadEndpoints
{
    public static RouteGroupBuilder MapLegacyUpload(this RouteGroupBuilder api)
    {
        api.MapPost("/collections", CreateCollectionAsync).AddEndpointFilter(Uploader.RequireUploaderAsync).DisableAntiforgery()
            .WithName("CreateCollection").WithSummary("Create an empty sequence (legacy upload)");
        api.MapPost("/collections/{id:guid}/items", AddItemAsync).AddEndpointFilter(Uploader.RequireUploaderAsync).DisableAntiforgery()
            .WithName("AddCollectionItem").WithSummary("Send one picture at a position of a sequence (legacy upload)");
        api.MapGet("/collections/{id:guid}/geovisio_status", StatusAsync).WithName("CollectionStatus").WithSummary("Processing state of a sequence's pictures");
        return api;
    }

    internal static async Task<IResult> CreateCollectionAsync(HttpRequest request, Uploader uploader, PanoramaxDbContext ef, NpgsqlDataSource db,
        LinkBuilder links, IOptions<PanoramaxOptions> options, TimeProvider clock, CancellationToken ct)
    {
        string? title;
        if (request.HasJsonContentType())
        {
            var body = await JsonBody.ParseObjectAsync(request, "The collection must be a JSON object ({\"title\": …})", ct);
            title = body.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }
        else if (request.HasFormContentType)
        {
            var form = await FormBody.ReadAsync(request, ct);
            title = form["title"].ToString();
        }
        else
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "Send the collection as JSON or form data ({\"title\": …})");
        }
        title = title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > 250)
        {
            throw ApiException.BadRequest("A collection needs a title (at most 250 characters)");
        }
        var acting = await uploader.ActingViewerAsync(ct);
        var owner = await ef.Accounts.Where(a => a.Id == acting.AccountId).Select(a => new { a.DefaultVisibility, a.DefaultLicense }).FirstAsync(ct);
        var now = clock.GetUtcNow();
        var userAgent = request.Headers.UserAgent.ToString();
        var sequence = new Sequence
        {
            Id = Guid.CreateVersion7(now),
            OriginInstanceId = await ef.Instances.Where(i => i.IsSelf).Select(i => i.Id).FirstAsync(ct),
            AccountId = acting.AccountId!.Value,
            Title = title,
            Status = SequenceStatus.WaitingForProcess,
            Visibility = owner.DefaultVisibility,
            License = owner.DefaultLicense,
            UploadSoftware = UploadSoftware(userAgent),
            UserAgent = userAgent.Length > 0 ? userAgent[..Math.Min(userAgent.Length, 500)] : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        ef.Sequences.Add(sequence);
        await ef.SaveChangesAsync(ct);

        var rows = await CollectionQuery.ReadAsync(db, acting, new CollectionFilter { Id = sequence.Id, IncludeUnpublishedForOwner = true },
            [new CollectionSort("id", false)], null, 1, ct);
        JsonNode json = rows.Count > 0
            ? StacCollectionJson.Build(rows[0], links, options.Value.Instance.LicenseId, single: true, showVisibility: true, [])
            : new JsonObject { ["id"] = sequence.Id.ToString(), ["title"] = title };
        return new JsonWithLocation(json, links.Api($"/api/collections/{sequence.Id}"), StatusCodes.Status200OK);
    }

    /// <summary>GeoVisio's upload-software words, from the creating client's User-Agent.</summary>
    internal static string UploadSoftware(string userAgent) => userAgent switch
    {
        "" => "unknown",
        _ when userAgent.StartsWith("PanoramaxCLI", StringComparison.Ordinal) || userAgent.StartsWith("GeoVisioCLI", StringComparison.Ordinal) => "cli",
        _ when userAgent.StartsWith("GeoVisioWebsite", StringComparison.Ordinal) => "website",
        _ when userAgent.StartsWith("PanoramaxApp", StringComparison.Ordinal) => "mobile_app",
        _ => "other",
    };

    internal static async Task<IResult> AddItemAsync(Guid id, HttpRequest request, Uploader uploader, PanoramaxDbContext ef, FileIngestor ingestor,
        PictureMetadataReader reader, IBlobStore store, UploadSpool spool, IOptions<UploadOptions> uploads, LinkBuilder links, TimeProvider clock, CancellationToken ct)
    {
        var acting = await uploader.ActingViewerAsync(ct);
        var sequence = await ef.Sequences.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id && s.DeletedAt == null, ct);
        if (sequence is null || !VisibilityPolicy.CanSee(acting, sequence.Visibility, sequence.AccountId))
        {
            throw ApiException.NotFound($"Collection {id} not found");
        }
        if (!VisibilityPolicy.CanModify(acting, sequence.AccountId))
        {
            throw ApiException.Forbidden("Only the owner of the collection (or an admin) may add pictures to it");
        }
        await using var upload = await ReceivedUpload.ReadAsync(request, "picture", spool, uploads.Value.MaxFileBytes, ct);
        if (!upload.HasFile)
        {
            throw ApiException.BadRequest("No picture was sent: put it in a multipart part named 'picture'");
        }
        if (!upload.Fields.TryGetValue("position", out var positionText) || !int.TryParse(positionText, NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position < 1)
        {
            throw ApiException.BadRequest("position is required: a whole number from 1 (the picture's rank in the sequence)", new { input = positionText });
        }
        var fields = UploadFields.Parse(upload.Fields);
        if (await PositionTakenAsync(ef, id, position, ct))
        {
            throw PositionConflict(position);
        }
        var read = reader.Read(upload.SpoolPath!, fields.Overrides);
        if (!read.IsAccepted)
        {
            var r = read.Rejection;
            throw ApiException.BadRequest(r.Message, r.MissingFields.Count > 0 ? new { error = r.Message, missing_fields = r.MissingFields } : new { error = r.Message });
        }

        var now = clock.GetUtcNow();
        var name = FileNames.Sanitise(upload.ClientFileName);
        var picture = await ingestor.NewPictureAsync(read.Metadata, sequence.AccountId, sequence.Visibility, upload, name, fields.IsBlurred, "", now, ct);
        var key = StorageKeys.Upload(id, picture.Id);
        picture.OriginalKey = key;
        picture.SequenceId = id;
        picture.Rank = position;
        await using (var content = new FileStream(upload.SpoolPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            await store.PutAsync(key, content, "image/jpeg", ct);
        }
        try
        {
            await using var tx = await ef.Database.BeginTransactionAsync(ct);
            await ef.Database.ExecuteSqlAsync($"SELECT 1 FROM sequences WHERE id = {id} FOR UPDATE", ct);
            if (await PositionTakenAsync(ef, id, position, ct))
            {
                await tx.RollbackAsync(CancellationToken.None);
                await ingestor.DeleteQuietlyAsync(key);
                throw PositionConflict(position);
            }
            ef.Pictures.Add(picture);
            await ef.SaveChangesAsync(ct);
            await JobQueue.EnqueueAsync(ef, JobKinds.ProcessPicture, picture.Id, clock, ct);
            await tx.CommitAsync(ct);
        }
        catch (Exception e) when (e is not ApiException)
        {
            ef.ChangeTracker.Clear();
            await ingestor.DeleteQuietlyAsync(key);
            throw;
        }

        var href = links.Api($"/api/collections/{id}/items/{picture.Id}");
        var item = new JsonObject
        {
            ["type"] = "Feature",
            ["stac_version"] = "1.0.0",
            ["id"] = picture.Id.ToString(),
            ["collection"] = id.ToString(),
            ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(picture.Location.X, picture.Location.Y) },
            ["bbox"] = new JsonArray(picture.Location.X, picture.Location.Y, picture.Location.X, picture.Location.Y),
            ["properties"] = new JsonObject
            {
                ["datetime"] = StacTime.Utc(picture.CapturedAt),
                ["geovisio:status"] = picture.Status.ToApiName(),
                ["geovisio:rank_in_collection"] = position,
                ["geovisio:image"] = null,
                ["original_file:name"] = name,
                ["original_file:size"] = upload.Size,
            },
            ["links"] = new JsonArray(
                new JsonObject { ["rel"] = "self", ["type"] = ApiJson.GeoJson, ["href"] = href },
                new JsonObject { ["rel"] = "collection", ["type"] = ApiJson.Json, ["href"] = links.Api($"/api/collections/{id}") }),
        };
        ((JsonObject)item["properties"]!).Remove("geovisio:image");
        return new JsonWithLocation(item, href, StatusCodes.Status202Accepted);
    }

    private static Task<bool> PositionTakenAsync(PanoramaxDbContext ef, Guid sequenceId, int position, CancellationToken ct) =>
        ef.Pictures.AnyAsync(p => p.SequenceId == sequenceId && p.Rank == position && p.DeletedAt == null, ct);

    private static ApiException PositionConflict(int position) =>
        ApiException.Conflict($"There is already a picture at position {position} in this collection");

    internal static async Task<IResult> StatusAsync(Guid id, CurrentViewer current, PanoramaxDbContext ef, CancellationToken ct)
    {
        var sequence = await ef.Sequences.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id && s.DeletedAt == null, ct);
        if (sequence is null || !VisibilityPolicy.CanSee(current.Viewer, sequence.Visibility, sequence.AccountId))
        {
            throw ApiException.NotFound($"Collection {id} not found");
        }
        var pictures = await ef.Pictures.Where(p => p.SequenceId == id && p.DeletedAt == null).OrderBy(p => p.Rank)
            .Select(p => new
            {
                p.Id,
                p.Rank,
                p.Status,
                p.ProcessError,
                p.ProcessAttempts,
                p.ProcessedAt,
                Running = ef.Jobs.Any(j => j.TargetId == p.Id && j.Kind == JobKinds.ProcessPicture && j.State == JobState.Running),
            })
            .ToListAsync(ct);
        var items = new JsonArray();
        foreach (var p in pictures)
        {
            var o = new JsonObject
            {
                ["id"] = p.Id.ToString(),
                ["rank"] = p.Rank,
                ["status"] = p.Status.ToApiName(),
                ["processing_in_progress"] = p.Running,
            };
            if (p.ProcessError is not null)
            {
                o["process_error"] = p.ProcessError;
                o["nb_errors"] = p.ProcessAttempts;
            }
            if (p.ProcessedAt is { } at)
            {
                o["processed_at"] = StacTime.Utc(at);
            }
            items.Add(o);
        }
        return Results.Json(new JsonObject { ["status"] = sequence.Status.ToApiName(), ["items"] = items }, ApiJson.Options, ApiJson.Json);
    }
}
