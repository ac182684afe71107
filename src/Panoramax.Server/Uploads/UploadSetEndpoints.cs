using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.UploadSets;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence;
using Panoramax.Persistence.ChangeLog;
using Panoramax.Persistence.Jobs;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Uploads;

/// <summary>
/// The upload-set protocol of current clients (CLI, website, our /upload page): create a set, send files into it,
/// complete it; dispatch into sequences and processing happen in jobs. Shapes and status codes follow GeoVisio.
/// </summary>
public static partial class UploadSetEndpoints
{
    private static readonly string[] SortMethods = ["filename-asc", "filename-desc", "time-asc", "time-desc"];
    private static readonly HashSet<string> CreateFields = ["title", "estimated_nb_files", "sort_method", "no_split", "split_distance", "split_time",
        "no_deduplication", "duplicate_distance", "duplicate_rotation", "relative_heading", "visibility", "metadata", "semantics"];
    private static readonly HashSet<string> PatchFields = [.. CreateFields.Except(["title", "metadata"])];

    public static RouteGroupBuilder MapUploadSets(this RouteGroupBuilder api)
    {
        api.MapPost("/upload_sets", CreateAsync).AddEndpointFilter(Uploader.RequireUploaderAsync)
            .WithName("CreateUploadSet").WithSummary("Create an upload set");
        api.MapGet("/upload_sets/{id:guid}", GetAsync).WithName("GetUploadSet").WithSummary("An upload set and the processing state of its files");
        api.MapPatch("/upload_sets/{id:guid}", PatchAsync).AddEndpointFilter(Uploader.RequireUploaderAsync)
            .WithName("PatchUploadSet").WithSummary("Change the options of an upload set");
        api.MapDelete("/upload_sets/{id:guid}", DeleteAsync).AddEndpointFilter(Uploader.RequireUploaderAsync)
            .WithName("DeleteUploadSet").WithSummary("Delete an upload set, its pictures and sequences");
        api.MapPost("/upload_sets/{id:guid}/files", AddFileAsync).AddEndpointFilter(Uploader.RequireUploaderAsync)
            .WithName("AddUploadSetFile").WithSummary("Send one picture file (multipart, part 'file')").DisableAntiforgery();
        api.MapGet("/upload_sets/{id:guid}/files", FilesAsync).WithName("ListUploadSetFiles").WithSummary("Files received in an upload set, accepted or rejected");
        api.MapPost("/upload_sets/{id:guid}/complete", CompleteAsync).AddEndpointFilter(Uploader.RequireUploaderAsync)
            .WithName("CompleteUploadSet").WithSummary("Declare every file sent: dispatch into sequences starts");
        api.MapGet("/users/me/upload_sets", MineAsync).WithName("MyUploadSets").WithSummary("Upload sets of the logged-in account");
        return api;
    }

    internal static async Task<IResult> CreateAsync(HttpRequest request, Uploader uploader, PanoramaxDbContext db, LinkBuilder links,
        IOptions<PanoramaxOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var body = await ReadJsonAsync(request, CreateFields, ct);
        var acting = await uploader.ActingViewerAsync(ct);
        var now = clock.GetUtcNow();
        var title = body.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String && t.GetString()!.Trim() is { Length: > 0 } tt
            ? tt
            : throw Invalid("title", "Field required: the title names the sequences made from this upload set", body.TryGetProperty("title", out var ti) ? ti : null);
        if (title.Length > 250)
        {
            throw Invalid("title", "The title is at most 250 characters long", title);
        }
        var set = new UploadSet
        {
            Id = Guid.CreateVersion7(now),
            OriginInstanceId = await db.Instances.Where(i => i.IsSelf).Select(i => i.Id).FirstAsync(ct),
            AccountId = acting.AccountId!.Value,
            Title = title,
            UserAgent = request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, 500)] : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (body.TryGetProperty("metadata", out var meta) && meta.ValueKind != JsonValueKind.Null)
        {
            set.Metadata = meta.ValueKind == JsonValueKind.Object ? meta.GetRawText() : throw Invalid("metadata", "metadata must be a JSON object", meta);
        }
        ApplyOptions(set, body, options.Value, creating: true);
        db.UploadSets.Add(set);
        await db.SaveChangesAsync(ct);
        var json = await UploadSetJson.BuildAsync(db, set, links, ct);
        var location = links.Api($"/api/upload_sets/{set.Id}");
        return new JsonWithLocation(json, location, StatusCodes.Status200OK);
    }

    internal static async Task<IResult> GetAsync(Guid id, CurrentViewer current, PanoramaxDbContext db, LinkBuilder links, CancellationToken ct)
    {
        var set = await VisibleAsync(db, id, current.Viewer, ct);
        return Results.Json(await UploadSetJson.BuildAsync(db, set, links, ct), ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> FilesAsync(Guid id, CurrentViewer current, PanoramaxDbContext db, LinkBuilder links, CancellationToken ct)
    {
        var set = await VisibleAsync(db, id, current.Viewer, ct);
        return Results.Json(await UploadSetJson.FilesAsync(db, set, current.Viewer, links, ct), ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> PatchAsync(Guid id, HttpRequest request, Uploader uploader, PanoramaxDbContext db, LinkBuilder links,
        IOptions<PanoramaxOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var body = await ReadJsonAsync(request, PatchFields, ct);
        var acting = await uploader.ActingViewerAsync(ct);
        var set = await VisibleAsync(db, id, acting, ct);
        if (!VisibilityPolicy.CanModify(acting, set.AccountId) && body.EnumerateObject().Any(p => p.Name != "semantics"))
        {
            throw ApiException.Forbidden("Only the owner of an upload set may change its options (others may only change its semantics)");
        }
        var visibilityBefore = set.Visibility;
        ApplyOptions(set, body, options.Value, creating: false);
        set.UpdatedAt = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        if (set.Visibility != visibilityBefore && set.Visibility is { } visibility)
        {
            // Sequences already made from the set follow it (GeoVisio propagates visibility to dispatched sequences).
            var now = set.UpdatedAt;
            await db.Sequences.Where(s => s.UploadSetId == id && s.DeletedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Visibility, visibility).SetProperty(s => s.UpdatedAt, now).SetProperty(s => s.Version, s => s.Version + 1), ct);
            await db.Pictures.Where(p => p.UploadSetId == id && p.DeletedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Visibility, visibility).SetProperty(p => p.UpdatedAt, now).SetProperty(p => p.Version, p => p.Version + 1), ct);
        }
        await tx.CommitAsync(ct);
        return Results.Json(await UploadSetJson.BuildAsync(db, set, links, ct), ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> CompleteAsync(Guid id, Uploader uploader, PanoramaxDbContext db, LinkBuilder links, TimeProvider clock, CancellationToken ct)
    {
        var acting = await uploader.ActingViewerAsync(ct);
        var set = await ModifiableAsync(db, id, acting, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM upload_sets WHERE id = {id} FOR UPDATE", ct);
        await db.Entry(set).ReloadAsync(ct);
        if (!set.Completed || !set.Dispatched)
        {
            set.Completed = true;
            set.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
            await JobQueue.EnqueueAsync(db, JobKinds.DispatchUploadSet, id, clock, ct);
        }
        await tx.CommitAsync(ct);
        return Results.Json(await UploadSetJson.BuildAsync(db, set, links, ct), ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> AddFileAsync(Guid id, HttpRequest request, Uploader uploader, PanoramaxDbContext db, FileIngestor ingestor,
        UploadSpool spool, IOptions<UploadOptions> uploads, LinkBuilder links, CancellationToken ct)
    {
        var acting = await uploader.ActingViewerAsync(ct);
        var set = await ModifiableAsync(db, id, acting, ct);
        await using var upload = await ReceivedUpload.ReadAsync(request, "file", spool, uploads.Value.MaxFileBytes, ct);
        if (!upload.HasFile)
        {
            throw ApiException.BadRequest("No file was sent: put the picture in a multipart part named 'file'");
        }
        var fields = UploadFields.Parse(upload.Fields);
        var outcome = await ingestor.IngestAsync(set, upload, fields, ct);
        if (outcome.Error is { } error)
        {
            return Results.Json(error, ApiJson.Options, ApiJson.Json, outcome.Status);
        }
        return Results.Json(UploadSetJson.File(outcome.File!, id, links, showPicture: true), ApiJson.Options, ApiJson.Json, outcome.Status);
    }

    internal static async Task<IResult> DeleteAsync(Guid id, Uploader uploader, PanoramaxDbContext db, IBlobStore store, TimeProvider clock,
        Manage.MapRefresh map, ILoggerFactory loggers, CancellationToken ct)
    {
        var acting = await uploader.ActingViewerAsync(ct);
        var set = await ModifiableAsync(db, id, acting, ct);
        var now = clock.GetUtcNow();
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM upload_sets WHERE id = {id} FOR UPDATE", ct);
            set.DeletedAt = now;
            set.UpdatedAt = now;
            var pictures = await db.Pictures.Where(p => p.UploadSetId == id && p.DeletedAt == null).ToListAsync(ct);
            var sequences = await db.Sequences.Where(s => s.UploadSetId == id && s.DeletedAt == null).ToListAsync(ct);
            foreach (var p in pictures)
            {
                var wasPublic = p.Status == PictureStatus.Ready;
                p.DeletedAt = now;
                p.UpdatedAt = now;
                p.Status = PictureStatus.WaitingForDelete;
                p.Version++;
                if (wasPublic)
                {
                    // Peers and harvesters must learn that a published picture is gone.
                    await ChangeLogWriter.AppendAsync(db, EntityKind.Picture, p.Id, ChangeOp.Tombstone, p.Version, null, clock, ct);
                }
            }
            foreach (var s in sequences)
            {
                s.Status = SequenceStatus.Deleted;
                s.DeletedAt = now;
                s.UpdatedAt = now;
                s.Version++;
                await ChangeLogWriter.AppendAsync(db, EntityKind.Sequence, s.Id, ChangeOp.Tombstone, s.Version, null, clock, ct);
            }
            await db.SaveChangesAsync(ct);
            foreach (var p in pictures)
            {
                // Derivatives are removed by the job (the processing side owns them); the raw uploads go below.
                await JobQueue.EnqueueAsync(db, JobKinds.DeletePictureFiles, p.Id, clock, ct);
            }
            await tx.CommitAsync(ct);
        }
        // Published pictures of the set leave the map within this request, as other deletions do.
        await map.AfterEditAsync();
        try
        {
            await store.DeletePrefixAsync($"uploads/{id:D}/", CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException)
        {
            loggers.CreateLogger("Panoramax.Uploads").LogError(e, "Could not delete the upload files of deleted upload set {Id}", id);
        }
        return Results.NoContent();
    }

    internal static async Task<IResult> MineAsync(HttpRequest request, CurrentViewer current, PanoramaxDbContext db, LinkBuilder links, CancellationToken ct)
    {
        if (current.Viewer.AccountId is not { } me)
        {
            // GeoVisio's login_required_with_redirect: browsers are sent to log in and come back.
            var next = Uri.EscapeDataString(links.Api(request.Path + request.QueryString));
            return Results.Redirect(links.Api($"/api/auth/login?next_url={next}"));
        }
        var limit = 100;
        if (request.Query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit is < 0 or > 1000))
        {
            throw ApiException.BadRequest("limit must be between 0 and 1000", new { input = l });
        }
        var query = db.UploadSets.Where(s => s.AccountId == me && s.DeletedAt == null);
        var filter = request.Query.ContainsKey("filter") ? request.Query["filter"].ToString() : "dispatched = FALSE";
        foreach (var (field, value) in ParseFilter(filter))
        {
            query = field == "completed" ? query.Where(s => s.Completed == value) : query.Where(s => s.Dispatched == value);
        }
        var sets = await query.OrderByDescending(s => s.CreatedAt).Take(limit).ToListAsync(ct);
        var array = new JsonArray();
        foreach (var s in sets)
        {
            array.Add(await UploadSetJson.BuildAsync(db, s, links, ct));
        }
        return Results.Json(new JsonObject { ["upload_sets"] = array }, ApiJson.Options, ApiJson.Json);
    }

    [GeneratedRegex(@"^\s*(completed|dispatched)\s*=\s*(true|false)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FilterTerm();

    /// <summary>The CQL2 subset this route takes: <c>completed</c>/<c>dispatched</c> = TRUE|FALSE joined with AND.</summary>
    internal static List<(string Field, bool Value)> ParseFilter(string filter)
    {
        var terms = new List<(string, bool)>();
        if (string.IsNullOrWhiteSpace(filter))
        {
            return terms;
        }
        foreach (var part in Regex.Split(filter, @"\s+AND\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
        {
            var m = FilterTerm().Match(part);
            if (!m.Success)
            {
                throw ApiException.BadRequest("filter supports only completed and dispatched compared to TRUE or FALSE, joined with AND", new { input = filter });
            }
            terms.Add((m.Groups[1].Value.ToLowerInvariant(), m.Groups[2].Value.Equals("true", StringComparison.OrdinalIgnoreCase)));
        }
        return terms;
    }

    private static async Task<UploadSet> VisibleAsync(PanoramaxDbContext db, Guid id, Viewer viewer, CancellationToken ct)
    {
        var found = await db.UploadSets.Where(s => s.Id == id && s.DeletedAt == null)
            .Select(s => new { Set = s, Default = db.Accounts.Where(a => a.Id == s.AccountId).Select(a => a.DefaultVisibility).FirstOrDefault() })
            .FirstOrDefaultAsync(ct);
        if (found is null || !VisibilityPolicy.CanSee(viewer, found.Set.Visibility ?? found.Default, found.Set.AccountId))
        {
            throw ApiException.NotFound($"Upload set {id} not found");
        }
        return found.Set;
    }

    internal static async Task<UploadSet> ModifiableAsync(PanoramaxDbContext db, Guid id, Viewer viewer, CancellationToken ct)
    {
        var set = await VisibleAsync(db, id, viewer, ct);
        return VisibilityPolicy.CanModify(viewer, set.AccountId)
            ? set
            : throw ApiException.Forbidden("Only the owner of the upload set (or an admin) may do this");
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpRequest request, HashSet<string> allowed, CancellationToken ct)
    {
        var body = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            "Upload sets are described as JSON (Content-Type: application/json)", "The request body must be a JSON object", ct);
        var extra = body.EnumerateObject().Where(p => !allowed.Contains(p.Name)).ToList();
        if (extra.Count > 0)
        {
            throw ApiException.BadRequest("Impossible to parse parameters",
                extra.Select(p => new ValidationError([p.Name], "Extra inputs are not permitted", p.Value)).ToList());
        }
        return body;
    }

    /// <summary>One item of GeoVisio's pydantic-style validation details.</summary>
    public sealed record ValidationError(
        [property: System.Text.Json.Serialization.JsonPropertyName("fields")] IReadOnlyList<string> Fields,
        [property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error,
        [property: System.Text.Json.Serialization.JsonPropertyName("input")] object? Input);

    private static ApiException Invalid(string field, string error, object? input) =>
        ApiException.BadRequest("Impossible to parse parameters", new[] { new ValidationError([field], error, input) });

    private static void ApplyOptions(UploadSet set, JsonElement body, PanoramaxOptions options, bool creating)
    {
        bool Has(string name, out JsonElement v) => body.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Null;

        if (Has("estimated_nb_files", out var e))
        {
            set.EstimatedFileCount = e.TryGetInt32(out var n) && n > 0 ? n : throw Invalid("estimated_nb_files", "estimated_nb_files must be a positive integer", e);
        }
        if (Has("sort_method", out var sm))
        {
            set.SortMethod = sm.ValueKind == JsonValueKind.String && SortMethods.Contains(sm.GetString())
                ? sm.GetString()!
                : throw Invalid("sort_method", $"sort_method must be one of {string.Join(", ", SortMethods)}", sm);
        }
        if (Has("no_split", out var ns))
        {
            set.NoSplit = Bool(ns, "no_split");
        }
        if (Has("split_distance", out var sd))
        {
            set.SplitDistanceM = sd.TryGetInt32(out var d) && d >= 0 ? d : throw Invalid("split_distance", "split_distance must be a whole number of metres", sd);
        }
        if (Has("split_time", out var st))
        {
            set.SplitTimeSeconds = st.ValueKind == JsonValueKind.Number && st.GetDouble() >= 0 ? st.GetDouble() : throw Invalid("split_time", "split_time must be a number of seconds", st);
        }
        if (Has("no_deduplication", out var nd))
        {
            set.NoDeduplication = Bool(nd, "no_deduplication");
        }
        if (Has("duplicate_distance", out var dd))
        {
            set.DuplicateDistanceM = dd.ValueKind == JsonValueKind.Number && dd.GetDouble() >= 0 ? dd.GetDouble() : throw Invalid("duplicate_distance", "duplicate_distance must be a number of metres", dd);
        }
        if (Has("duplicate_rotation", out var dr))
        {
            set.DuplicateRotationDeg = dr.TryGetInt32(out var r) && r is >= 0 and <= 180 ? r : throw Invalid("duplicate_rotation", "duplicate_rotation must be a whole number of degrees (0–180)", dr);
        }
        if (Has("relative_heading", out var rh))
        {
            set.RelativeHeading = rh.TryGetInt32(out var h) && h is >= -180 and <= 180 ? h : throw Invalid("relative_heading", "relative_heading must be a whole number of degrees between -180 and 180", rh);
        }
        if (set.NoSplit && (set.SplitDistanceM is not null || set.SplitTimeSeconds is not null))
        {
            throw Invalid("no_split", "no_split cannot be used with split_distance or split_time", true);
        }
        if (set.NoDeduplication && (set.DuplicateDistanceM is not null || set.DuplicateRotationDeg is not null))
        {
            throw Invalid("no_deduplication", "no_deduplication cannot be used with duplicate_distance or duplicate_rotation", true);
        }
        if (Has("visibility", out var v))
        {
            if (v.ValueKind != JsonValueKind.String || !ApiNames.TryParseApiName<Visibility>(v.GetString(), out var visibility))
            {
                throw Invalid("visibility", "visibility must be anyone, owner-only or logged-only", v);
            }
            if (visibility == Visibility.LoggedOnly && options.Auth.RegistrationIsOpen)
            {
                throw Invalid("visibility", "logged-only is only possible on instances whose registration is closed", v);
            }
            set.Visibility = visibility;
        }
        if (body.TryGetProperty("semantics", out var sem))
        {
            set.Semantics = Semantics(creating ? "[]" : set.Semantics, sem);
        }
    }

    private static bool Bool(JsonElement v, string name) =>
        v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Invalid(name, $"{name} must be true or false", v);

    /// <summary>Tags as <c>[{key, value}]</c>; items with <c>action: "delete"</c> remove a tag (GeoVisio's tag updates).</summary>
    private static string Semantics(string current, JsonElement updates)
    {
        if (updates.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("semantics", "semantics must be a list of {key, value}", updates);
        }
        var tags = (JsonNode.Parse(current) as JsonArray ?? []).Select(n => (Key: (string?)n?["key"], Value: (string?)n?["value"])).ToList();
        foreach (var u in updates.EnumerateArray())
        {
            if (u.ValueKind != JsonValueKind.Object || !u.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String
                || !u.TryGetProperty("value", out var val) || val.ValueKind != JsonValueKind.String
                || k.GetString()!.Length is 0 or > 256 || val.GetString()!.Length > 2048)
            {
                throw Invalid("semantics", "each tag needs a text key (≤256) and a text value (≤2048)", u);
            }
            var action = u.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : "add";
            var tag = (Key: k.GetString(), Value: val.GetString());
            switch (action)
            {
                case "add":
                    if (!tags.Contains(tag))
                    {
                        tags.Add(tag);
                    }
                    break;
                case "delete":
                    tags.Remove(tag);
                    break;
                default:
                    throw Invalid("semantics", "a tag's action must be add or delete", u);
            }
        }
        return new JsonArray([.. tags.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]).ToJsonString();
    }
}

/// <summary>A JSON answer with a Location header (created resources).</summary>
internal sealed class JsonWithLocation(JsonNode body, string location, int status) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers.Location = location;
        return Results.Json(body, ApiJson.Options, ApiJson.Json, status).ExecuteAsync(httpContext);
    }
}
