using Panoramax.Federation.Feed;
using System.Text.Json;
using Npgsql;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Peers;
using Panoramax.Federation.Reconcile;
using Microsoft.Extensions.Options;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Manage;

namespace Panoramax.Server.Federation;

/// <summary>Admin API of federation peers: list with status, add by federation URL, confirm, block, remove, licence filter, reconcile; and a retention sweep on demand.</summary>
public static class PeerAdminEndpoints
{
    // Our own admin API (GeoVisio has none): snake_case like the rest of the API's own fields.
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new(ApiJson.Options) { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Body of <c>POST /api/admin/peers</c>.</summary>
    public sealed record AddPeerRequest(string? Url);

    public static RouteGroupBuilder MapPeerAdmin(this RouteGroupBuilder api)
    {
        api.MapGet("/admin/federation", Identity).WithTags("Federation")
            .WithSummary("This instance's federation identity (id, name, URLs, public key and its fingerprint), as Hello gives it to peers");
        api.MapPost("/admin/federation/retention", SweepRetention).WithTags("Federation")
            .WithSummary("Runs the retention sweep of the change log now (it also runs every RetentionSweepInterval)");
        var g = api.MapGroup("/admin/peers").WithTags("Federation");
        g.MapGet("", List);
        g.MapPost("", Add);
        g.MapGet("/{id:guid}", Get);
        g.MapPost("/{id:guid}/confirm", Confirm);
        g.MapPost("/{id:guid}/block", Block);
        g.MapDelete("/{id:guid}", Remove);
        g.MapPost("/{id:guid}/reconcile", Reconcile)
            .WithSummary("Compares this instance's copy of every origin the peer serves with the peer's log by range digests and repairs what differs (federation-spec §7.1)");
        g.MapGet("/{id:guid}/reconcile", LastReconcile).WithSummary("The peer's last reconcile report (stored: it survives restarts)");
        g.MapGet("/{id:guid}/reconcile/history", ReconcileHistory)
            .WithSummary($"The peer's last reconcile reports, newest first (limit 1 to {ReconcileReportStore.KeptPerPeer}, default 10)");
        g.MapPut("/{id:guid}/licenses", SetLicenses)
            .WithSummary("Licences of this origin's records shown here (null = all): a peer, a relayed origin or a legacy source");
        api.MapGet("/admin/origins", Origins).WithTags("Federation")
            .WithSummary("Every other instance whose records this one may hold (peers, relayed origins, legacy sources) with its licence filter");
        return g;
    }

    /// <summary>401 for anonymous callers, 403 for non-admins (peers and legacy sources are administrators' business).</summary>
    internal static void RequireAdmin(CurrentViewer viewer, string what = "peers")
    {
        if (viewer.Viewer.AccountId is null)
        {
            throw ApiException.Unauthorized($"Log in as an administrator to manage {what}.");
        }
        if (!viewer.Viewer.IsAdmin)
        {
            throw ApiException.Forbidden($"Only administrators manage {what}.");
        }
    }

    private static async Task<IResult> Identity(CurrentViewer viewer, PeerAdmin admin, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        RequireAdmin(viewer, "the federation");
        return Results.Json(await admin.IdentityAsync(options.Value.Role.ToString().ToLowerInvariant(), ct), Json);
    }

    private static async Task<IResult> SweepRetention(CurrentViewer viewer, RetentionSweeper sweeper, CancellationToken ct)
    {
        RequireAdmin(viewer, "the federation");
        return Results.Json(await sweeper.SweepAsync(ct), Json);
    }

    private static async Task<IResult> List(CurrentViewer viewer, PeerAdmin admin, CancellationToken ct)
    {
        RequireAdmin(viewer);
        return Results.Json(new { peers = await admin.ListAsync(ct) }, Json);
    }

    private static async Task<IResult> Get(Guid id, CurrentViewer viewer, PeerAdmin admin, CancellationToken ct)
    {
        RequireAdmin(viewer);
        return (await admin.ListAsync(ct)).FirstOrDefault(p => p.Id == id) is { } peer ? Results.Json(peer, Json) : throw ApiException.NotFound("No such peer.");
    }

    private static async Task<IResult> Add(AddPeerRequest body, HttpResponse response, CurrentViewer viewer, PeerAdmin admin, CancellationToken ct)
    {
        RequireAdmin(viewer);
        if (string.IsNullOrWhiteSpace(body.Url))
        {
            throw ApiException.BadRequest("Give the peer's federation URL, e.g. {\"url\": \"http://peer.example.org:5001\"}.");
        }
        try
        {
            var peer = await admin.AddAsync(body.Url, ct);
            response.Headers.Location = $"/api/admin/peers/{peer.Id}";
            return Results.Json(peer, Json, statusCode: StatusCodes.Status201Created);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
        catch (PeerKeyMismatchException e)
        {
            throw ApiException.Conflict(e.Message + " Remove the peer first to accept its new key.");
        }
        catch (PeerUnreachableException e)
        {
            throw new ApiException(StatusCodes.Status502BadGateway, e.Message);
        }
    }

    private static async Task<IResult> Origins(CurrentViewer viewer, PeerAdmin admin, CancellationToken ct)
    {
        RequireAdmin(viewer);
        return Results.Json(new { origins = await admin.OriginsAsync(ct) }, Json);
    }

    private static Task<IResult> SetLicenses(Guid id, HttpRequest request, CurrentViewer viewer, NpgsqlDataSource db, MapRefresh map,
        TimeProvider clock, ILoggerFactory logs, CancellationToken ct)
    {
        RequireAdmin(viewer);
        return SetLicensesAsync(id, request, viewer, db, map, clock, logs, "No such instance: give the id of a peer, a relayed origin or a legacy source.", ct);
    }

    /// <summary>
    /// <c>PUT …/{id}/licenses</c> with <c>{"accepted_licenses": [...] | null}</c>: sets the origin's licence filter and
    /// re-flags its records at once (both ways), then refreshes the map. Shared by peers and legacy sources.
    /// </summary>
    internal static async Task<IResult> SetLicensesAsync(Guid id, HttpRequest request, CurrentViewer viewer, NpgsqlDataSource db, MapRefresh map,
        TimeProvider clock, ILoggerFactory logs, string notFound, CancellationToken ct)
    {
        var body = await JsonBody.ParseObjectAsync(request, Usage, ct);
        if (!body.TryGetProperty("accepted_licenses", out var value))
        {
            throw ApiException.BadRequest(Usage);
        }
        List<string?>? given = null;
        if (value.ValueKind == JsonValueKind.Array)
        {
            given = [];
            foreach (var item in value.EnumerateArray())
            {
                given.Add(item.ValueKind == JsonValueKind.String ? item.GetString() : throw ApiException.BadRequest("accepted_licenses must hold strings (licence ids such as \"CC0-1.0\")."));
            }
        }
        else if (value.ValueKind != JsonValueKind.Null)
        {
            throw ApiException.BadRequest("accepted_licenses must be a list of licence ids, or null to accept every licence.");
        }
        var (accepted, error) = AcceptedLicenses.Normalize(given);
        if (error is not null)
        {
            throw ApiException.BadRequest(error);
        }
        var outcome = await OriginLicenseFilter.SetAsync(db, id, accepted, clock.GetUtcNow(), ct) ?? throw ApiException.NotFound(notFound);
        // Tiles, the low-zoom grid and the landing extent are derived from what is shown: refresh them before answering.
        await map.AfterEditAsync();
        logs.CreateLogger("Panoramax.Federation.Admin").LogInformation(
            "Admin {Admin} set the licence filter of instance {Instance} to {Licenses}: {Sequences} sequences and {Pictures} pictures hidden",
            viewer.Viewer.AccountId, id, accepted is null ? "(all accepted)" : string.Join(", ", accepted), outcome.HiddenSequences, outcome.HiddenPictures);
        return Results.Json(new LicenseFilterAnswer(id, accepted, outcome.HiddenSequences, outcome.HiddenPictures), Json);
    }

    private const string Usage = "Send {\"accepted_licenses\": [\"CC0-1.0\", \"CC-BY-SA-4.0\"]} to show only those licences of this origin, or {\"accepted_licenses\": null} to show all.";

    /// <summary>Answer of the licence-filter routes: the stored filter and what it hides now.</summary>
    public sealed record LicenseFilterAnswer(Guid Id, IReadOnlyList<string>? AcceptedLicenses, long HiddenSequences, long HiddenPictures);

    private static async Task<IResult> Confirm(Guid id, CurrentViewer viewer, PeerAdmin admin, CancellationToken ct)
    {
        RequireAdmin(viewer);
        return await admin.ConfirmAsync(id, ct) is { } p ? Results.Json(p, Json) : throw ApiException.NotFound("No such peer.");
    }

    private static async Task<IResult> Block(Guid id, CurrentViewer viewer, PeerAdmin admin, CancellationToken ct)
    {
        RequireAdmin(viewer);
        return await admin.BlockAsync(id, ct) is { } p ? Results.Json(p, Json) : throw ApiException.NotFound("No such peer.");
    }

    private static async Task<IResult> Reconcile(Guid id, CurrentViewer viewer, PeerAdmin admin, Reconciler reconciler, CancellationToken ct)
    {
        RequireAdmin(viewer);
        var peer = (await admin.ListAsync(ct)).FirstOrDefault(p => p.Id == id) ?? throw ApiException.NotFound("No such peer.");
        if (peer.Trust != "trusted")
        {
            throw ApiException.Conflict("Only trusted peers are reconciled; confirm the peer first.");
        }
        try
        {
            return Results.Json(await reconciler.ReconcileAsync(id, ct), Json);
        }
        catch (ReconcileBusyException e)
        {
            throw ApiException.Conflict(e.Message);
        }
    }

    private static async Task<IResult> LastReconcile(Guid id, CurrentViewer viewer, PeerAdmin admin, Reconciler reconciler, CancellationToken ct)
    {
        RequireAdmin(viewer);
        _ = (await admin.ListAsync(ct)).FirstOrDefault(p => p.Id == id) ?? throw ApiException.NotFound("No such peer.");
        return await reconciler.LastReportAsync(id, ct) is { } report ? Results.Json(report, Json) : throw ApiException.NotFound("This peer was never reconciled.");
    }

    private static async Task<IResult> ReconcileHistory(Guid id, HttpRequest request, CurrentViewer viewer, PeerAdmin admin, ReconcileReportStore reports, CancellationToken ct)
    {
        RequireAdmin(viewer);
        var text = request.Query["limit"].ToString();
        var limit = 10;
        if (text.Length > 0 && (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out limit)
            || limit < 1 || limit > ReconcileReportStore.KeptPerPeer))
        {
            throw ApiException.BadRequest($"limit must be a whole number from 1 to {ReconcileReportStore.KeptPerPeer} (the reports kept per peer); leave it out for 10",
                new { input = text });
        }
        _ = (await admin.ListAsync(ct)).FirstOrDefault(p => p.Id == id) ?? throw ApiException.NotFound("No such peer.");
        return Results.Json(new { reports = await reports.HistoryAsync(id, limit, ct) }, Json);
    }

    private static async Task<IResult> Remove(Guid id, CurrentViewer viewer, PeerAdmin admin, CancellationToken ct)
    {
        RequireAdmin(viewer);
        return await admin.RemoveAsync(id, ct) ? Results.NoContent() : throw ApiException.NotFound("No such peer.");
    }
}
