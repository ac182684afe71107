using System.Text.Json.Nodes;
using Npgsql;
using Panoramax.Auth;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Moderation;
using Panoramax.Domain.Reports;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence;
using Panoramax.Server.Http;
using Panoramax.Server.Stac.Filter;

namespace Panoramax.Server.Manage;

/// <summary>
/// Reports after they are filed (§10) and moderators' takedowns. Role rules: admins (the moderators of an instance)
/// see and change every report; the owner of the reported picture or sequence sees it and may set its status and
/// answer; the reporter sees it and may correct their e-mail or the issue. A takedown hides the target at once
/// (owner-only visibility), is recorded in <c>moderation_actions</c> (who, what, why), and stops the owner from
/// publishing it again until an admin restores it.
/// </summary>
public static class Moderation
{
    private const int MaxComment = 4000;
    private static readonly string[] OwnerStatuses = ["waiting", "closed_solved", "closed_ignored"];

    // A translator numbers its parameters: one per request.
    private static Cql2Sql ReportFilter() => new(
    [
        new Cql2Property("status", "r.status", Cql2Type.Text, ApiNames.AllApiNames<ReportStatus>().ToList()),
        new Cql2Property("issue", "r.issue", Cql2Type.Text, ApiNames.AllApiNames<ReportIssue>().ToList()),
        new Cql2Property("created", "r.created_at", Cql2Type.Timestamp),
        new Cql2Property("updated", "r.updated_at", Cql2Type.Timestamp),
    ], []);

    public static RouteGroupBuilder MapModeration(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("").WithTags("Reports").RequireLogin();
        g.MapGet("/reports", ListAsync).WithName("ListReports").WithSummary("Every report (admins): filter (CQL2 on status, issue, created, updated), limit");
        g.MapGet("/reports/{id:guid}", GetAsync).WithName("GetReport").WithSummary("One report (its reporter, the owner of what it is about, or an admin)");
        g.MapPatch("/reports/{id:guid}", PatchAsync).WithName("PatchReport").WithSummary("Change a report: status, issue, reporter_email, resolver_comments (by role)");
        g.MapGet("/users/me/reports", MineAsync).WithName("MyReports").WithSummary("Reports I filed or that are about my pictures (default: open or waiting)");
        g.MapPost("/moderation/takedown", TakedownAsync).WithName("Takedown")
            .WithSummary("Moderators: hide a picture or sequence at once ({picture_id | sequence_id | report_id, reason}), recorded in the audit log");
        g.MapPost("/moderation/restore", RestoreAsync).WithName("RestoreTakedown")
            .WithSummary("Moderators: lift a takedown ({picture_id | sequence_id, reason}); the owner may publish again");
        g.MapGet("/moderation/actions", ActionsAsync).WithName("ModerationActions").WithSummary("Moderators: the audit log (optional picture_id, sequence_id)");
        return api;
    }

    /// <summary>Whether the last takedown or restore on this picture or sequence is a takedown (other acts, such as blur corrections, do not count).</summary>
    internal static async Task<bool> IsTakenDownAsync(EditTransaction tx, Guid? pictureId, Guid? sequenceId, CancellationToken ct)
    {
        await using var cmd = tx.Command("""
            SELECT kind FROM moderation_actions
            WHERE kind IN ('takedown', 'restore') AND ((@p::uuid IS NOT NULL AND picture_id = @p) OR (@s::uuid IS NOT NULL AND sequence_id = @s))
            ORDER BY created_at DESC LIMIT 1
            """, ("p", pictureId), ("s", sequenceId));
        cmd.Parameters[0].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid;
        cmd.Parameters[1].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid;
        return await cmd.ExecuteScalarAsync(ct) as string == "takedown";
    }

    // --- reports -----------------------------------------------------------------------------------------------

    private sealed record ReportRow(Report Report, Guid? OwnerId);

    private const string ReportSelect = """
        SELECT r.id, r.issue, r.status, r.picture_id, r.sequence_id, r.reporter_account_id, r.reporter_email, r.reporter_comments,
               r.resolver_account_id, r.resolver_comments, r.created_at, r.updated_at, coalesce(p.account_id, s.account_id)
        FROM reports r
        LEFT JOIN pictures p ON p.id = r.picture_id
        LEFT JOIN sequences s ON s.id = r.sequence_id
        """;

    internal static async Task<IResult> ListAsync(HttpRequest request, CurrentViewer current, NpgsqlDataSource db, LinkBuilder links, CancellationToken ct)
    {
        RequireAdmin(current.Viewer);
        return await QueryAsync(request, current.Viewer, db, links, null, null, ct);
    }

    internal static async Task<IResult> MineAsync(HttpRequest request, CurrentViewer current, NpgsqlDataSource db, LinkBuilder links, CancellationToken ct)
    {
        var me = current.Viewer.AccountId!.Value;
        return await QueryAsync(request, current.Viewer, db, links, me, "r.status IN ('open', 'open_autofix', 'waiting')", ct);
    }

    private static async Task<IResult> QueryAsync(HttpRequest request, Viewer viewer, NpgsqlDataSource db, LinkBuilder links, Guid? mine, string? defaultFilter, CancellationToken ct)
    {
        var limit = Stac.StacParams.Limit(request.Query["limit"], 1, 1000, 100);
        await using var cmd = db.CreateCommand();
        var where = new List<string>();
        var filterText = request.Query["filter"].ToString();
        if (!string.IsNullOrWhiteSpace(filterText))
        {
            Cql2Node node;
            try
            {
                node = Cql2Parser.Parse(filterText);
                where.Add(ReportFilter().Translate(node, cmd.Parameters));
            }
            catch (Cql2Exception e)
            {
                throw ApiException.BadRequest($"Invalid filter: {e.Message} (reports filter on status, issue, created, updated)", new { input = filterText });
            }
        }
        else if (defaultFilter is not null)
        {
            where.Add(defaultFilter);
        }
        if (mine is { } me)
        {
            where.Add("(r.reporter_account_id = @me OR coalesce(p.account_id, s.account_id) = @me)");
            cmd.Parameters.AddWithValue("me", me);
        }
        cmd.CommandText = $"{ReportSelect} {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY r.created_at DESC, r.id LIMIT @limit";
        cmd.Parameters.AddWithValue("limit", limit);
        var reports = new JsonArray();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            reports.Add(Json(Read(r), viewer, links));
        }
        return Results.Json(new JsonObject { ["reports"] = reports }, ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> GetAsync(Guid id, CurrentViewer current, NpgsqlDataSource db, LinkBuilder links, CancellationToken ct)
    {
        var row = await FindAsync(db, id, ct) ?? throw ApiException.NotFound($"Report {id} not found");
        var role = RoleOf(current.Viewer, row);
        if (role == ReportRole.None)
        {
            throw ApiException.Forbidden("Only the reporter, the owner of the reported picture or an admin can see this report");
        }
        return Results.Json(Json(row, current.Viewer, links), ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> PatchAsync(Guid id, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, NpgsqlDataSource db, LinkBuilder links, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var body = await EditBody.ReadAsync(request, ct);
        if (!body.IsJson)
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "Report changes are sent as JSON (Content-Type: application/json)");
        }
        var row = await FindAsync(db, id, ct) ?? throw ApiException.NotFound($"Report {id} not found");
        var role = RoleOf(viewer, row);
        if (role == ReportRole.None)
        {
            throw ApiException.Forbidden("Only the reporter, the owner of the reported picture or an admin can change this report");
        }
        var unknown = body.Names.Except(["status", "issue", "reporter_email", "resolver_comments"]).ToList();
        if (unknown.Count > 0)
        {
            throw ApiException.BadRequest($"Unknown field(s): {string.Join(", ", unknown)}; a report change may hold status, issue, reporter_email, resolver_comments");
        }
        var allowed = role switch
        {
            ReportRole.Admin => new[] { "status", "issue", "reporter_email", "resolver_comments" },
            ReportRole.Owner => ["status", "resolver_comments"],
            _ => ["issue", "reporter_email"],
        };
        var refused = body.Names.Except(allowed).ToList();
        if (refused.Count > 0)
        {
            throw ApiException.Forbidden($"As {role.ToString().ToLowerInvariant()} of this report you cannot change {string.Join(", ", refused)}");
        }
        var report = await ef.Reports.FindAsync([id], ct) ?? throw ApiException.NotFound($"Report {id} not found");
        if (body.Text("status", 32) is { } statusText)
        {
            var statuses = role == ReportRole.Admin ? ApiNames.AllApiNames<ReportStatus>().ToArray() : OwnerStatuses;
            if (!statuses.Contains(statusText) || !ApiNames.TryParseApiName<ReportStatus>(statusText, out var status))
            {
                throw ApiException.BadRequest($"status must be one of: {string.Join(", ", statuses)}", new { input = statusText });
            }
            report.Status = status;
            if (statusText.StartsWith("closed", StringComparison.Ordinal))
            {
                report.ResolverAccountId = viewer.AccountId;
            }
        }
        if (body.Text("issue", 64) is { } issueText)
        {
            report.Issue = ApiNames.TryParseApiName<ReportIssue>(issueText, out var issue)
                ? issue
                : throw ApiException.BadRequest($"issue must be one of: {string.Join(", ", ApiNames.AllApiNames<ReportIssue>())}", new { input = issueText });
        }
        if (body.Has("reporter_email"))
        {
            var email = body.Text("reporter_email", 320);
            if (!string.IsNullOrEmpty(email) && !new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(email))
            {
                throw ApiException.BadRequest("reporter_email is not a valid e-mail address", new { input = email });
            }
            report.ReporterEmail = string.IsNullOrEmpty(email) ? null : email;
        }
        if (body.Has("resolver_comments"))
        {
            var comments = body.Text("resolver_comments", MaxComment);
            report.ResolverComments = string.IsNullOrEmpty(comments) ? null : comments;
            report.ResolverAccountId ??= viewer.AccountId;
        }
        report.UpdatedAt = clock.GetUtcNow();
        await ef.SaveChangesAsync(ct);
        var updated = await FindAsync(db, id, ct);
        return Results.Json(Json(updated!, viewer, links), ApiJson.Options, ApiJson.Json);
    }

    private enum ReportRole
    {
        None,
        Reporter,
        Owner,
        Admin,
    }

    private static ReportRole RoleOf(Viewer viewer, ReportRow row) =>
        viewer.IsAdmin ? ReportRole.Admin
        : viewer.AccountId is { } me && row.OwnerId == me ? ReportRole.Owner
        : viewer.AccountId is { } me2 && row.Report.ReporterAccountId == me2 ? ReportRole.Reporter
        : ReportRole.None;

    private static async Task<ReportRow?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"{ReportSelect} WHERE r.id = @id");
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    private static ReportRow Read(NpgsqlDataReader r)
    {
        var issue = ApiNames.ParseApiName<ReportIssue>(r.GetString(1));
        var status = ApiNames.ParseApiName<ReportStatus>(r.GetString(2));
        Guid? G(int i) => r.IsDBNull(i) ? null : r.GetGuid(i);
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new ReportRow(new Report
        {
            Id = r.GetGuid(0),
            Issue = issue,
            Status = status,
            PictureId = G(3),
            SequenceId = G(4),
            ReporterAccountId = G(5),
            ReporterEmail = S(6),
            ReporterComments = S(7),
            ResolverAccountId = G(8),
            ResolverComments = S(9),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(10),
            UpdatedAt = r.GetFieldValue<DateTimeOffset>(11),
        }, G(12));
    }

    private static JsonObject Json(ReportRow row, Viewer viewer, LinkBuilder links)
    {
        var r = row.Report;
        var seesEmail = viewer.IsAdmin || (viewer.AccountId is { } me && me == r.ReporterAccountId);
        var json = new JsonObject
        {
            ["id"] = r.Id.ToString(),
            ["issue"] = r.Issue.ToApiName(),
            ["status"] = r.Status.ToApiName(),
            ["picture_id"] = r.PictureId?.ToString(),
            ["sequence_id"] = r.SequenceId?.ToString(),
            ["reporter_account_id"] = r.ReporterAccountId?.ToString(),
            ["reporter_email"] = seesEmail ? r.ReporterEmail : null,
            ["reporter_comments"] = r.ReporterComments,
            ["resolver_account_id"] = r.ResolverAccountId?.ToString(),
            ["resolver_comments"] = r.ResolverComments,
            ["created_at"] = StacTime.Utc(r.CreatedAt),
            ["updated_at"] = StacTime.Utc(r.UpdatedAt),
        };
        var l = new JsonArray { new JsonObject { ["rel"] = "self", ["type"] = ApiJson.Json, ["href"] = links.Api($"/api/reports/{r.Id}") } };
        if (r.PictureId is { } pid && r.SequenceId is { } sid)
        {
            l.Add(new JsonObject { ["rel"] = "item", ["type"] = ApiJson.GeoJson, ["href"] = links.Api($"/api/collections/{sid}/items/{pid}") });
            if (r.Issue == ReportIssue.BlurMissing)
            {
                // Where the owner or a moderator sends the regions to blur (with this report's id to close it).
                l.Add(new JsonObject
                {
                    ["rel"] = "blur-correction",
                    ["type"] = ApiJson.Json,
                    ["method"] = "POST",
                    ["href"] = links.Api(BlurCorrectionEndpoints.Route(sid, pid)),
                });
            }
        }
        else if (r.SequenceId is { } sid2)
        {
            l.Add(new JsonObject { ["rel"] = "collection", ["type"] = ApiJson.Json, ["href"] = links.Api($"/api/collections/{sid2}") });
        }
        json["links"] = l;
        // Nulls are left out, as elsewhere in the API.
        foreach (var key in json.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
        {
            json.Remove(key);
        }
        return json;
    }

    // --- takedowns ---------------------------------------------------------------------------------------------

    internal static Task<IResult> TakedownAsync(HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, MapRefresh map, TimeProvider clock, CancellationToken ct) =>
        ActAsync(ModerationActionKind.Takedown, request, current, ef, map, clock, ct);

    internal static Task<IResult> RestoreAsync(HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, MapRefresh map, TimeProvider clock, CancellationToken ct) =>
        ActAsync(ModerationActionKind.Restore, request, current, ef, map, clock, ct);

    private static async Task<IResult> ActAsync(ModerationActionKind kind, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        RequireAdmin(viewer);
        var body = await EditBody.ReadAsync(request, ct);
        var reason = body.Text("reason", MaxComment);
        if (string.IsNullOrEmpty(reason))
        {
            throw ApiException.BadRequest("reason is required: say why, it is kept in the moderation log");
        }
        var pictureId = body.Id("picture_id");
        var sequenceId = pictureId is null ? body.Id("sequence_id") : null;
        var reportId = body.Id("report_id");
        Report? report = null;
        if (reportId is { } rid)
        {
            report = await ef.Reports.FindAsync([rid], ct) ?? throw ApiException.NotFound($"Report {rid} not found");
            if (pictureId is null && sequenceId is null)
            {
                pictureId = report.PictureId;
                sequenceId = report.PictureId is null ? report.SequenceId : null;
            }
        }
        if (pictureId is null && sequenceId is null)
        {
            throw ApiException.BadRequest("Say what to act on: picture_id, sequence_id or report_id");
        }
        var action = new ModerationAction
        {
            Id = Guid.CreateVersion7(clock.GetUtcNow()),
            Kind = kind,
            ActorAccountId = viewer.AccountId!.Value,
            PictureId = pictureId,
            SequenceId = sequenceId,
            ReportId = reportId,
            Reason = reason,
        };
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            action.CreatedAt = tx.Now;
            if (pictureId is { } pid)
            {
                await using var cmd = tx.Command("SELECT sequence_id FROM pictures WHERE id = @id AND deleted_at IS NULL FOR UPDATE", ("id", pid));
                var seq = await cmd.ExecuteScalarAsync(ct) as Guid? ?? throw ApiException.NotFound($"Picture {pid} not found");
                if (kind == ModerationActionKind.Takedown)
                {
                    await tx.ExecAsync("UPDATE pictures SET visibility = 'owner-only' WHERE id = @id", ct, ("id", pid));
                }
                else
                {
                    // A copy from another instance has no owner here to publish it again: restoring it shows it again.
                    await tx.ExecAsync($"UPDATE pictures p SET visibility = 'anyone' WHERE id = @id AND {CopySql.IsCopy("p")}", ct, ("id", pid));
                }
                tx.TouchPicture(pid);
                tx.TouchSequence(seq);
            }
            else if (sequenceId is { } sid)
            {
                var n = kind == ModerationActionKind.Takedown
                    ? await tx.ExecAsync("UPDATE sequences SET visibility = 'owner-only' WHERE id = @id AND deleted_at IS NULL", ct, ("id", sid))
                    : await tx.ExecAsync($"UPDATE sequences s SET visibility = CASE WHEN {CopySql.IsCopy("s")} THEN 'anyone' ELSE visibility END WHERE id = @id AND deleted_at IS NULL", ct, ("id", sid));
                if (n == 0)
                {
                    throw ApiException.NotFound($"Sequence {sid} not found");
                }
                tx.TouchPictures(await tx.PictureIdsAsync(sid, false, ct));
                tx.TouchSequence(sid);
            }
            ef.ModerationActions.Add(action);
            if (report is not null && kind == ModerationActionKind.Takedown)
            {
                report.Status = ReportStatus.ClosedSolved;
                report.ResolverAccountId = viewer.AccountId;
                report.ResolverComments ??= reason;
                report.UpdatedAt = tx.Now;
            }
            await tx.CommitAsync(ct);
        }
        await map.AfterEditAsync();
        return Results.Json(ActionJson(action), ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> ActionsAsync(HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, CancellationToken ct)
    {
        RequireAdmin(current.Viewer);
        var q = ef.ModerationActions.AsQueryable();
        if (Guid.TryParse(request.Query["picture_id"], out var pid))
        {
            q = q.Where(a => a.PictureId == pid);
        }
        if (Guid.TryParse(request.Query["sequence_id"], out var sid))
        {
            q = q.Where(a => a.SequenceId == sid);
        }
        var actions = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(q.OrderByDescending(a => a.CreatedAt).Take(1000), ct);
        return Results.Json(new JsonObject { ["actions"] = new JsonArray([.. actions.Select(a => (JsonNode)ActionJson(a))]) }, ApiJson.Options, ApiJson.Json);
    }

    private static JsonObject ActionJson(ModerationAction a)
    {
        var json = new JsonObject
        {
            ["id"] = a.Id.ToString(),
            ["kind"] = a.Kind.ToApiName(),
            ["actor_account_id"] = a.ActorAccountId.ToString(),
            ["reason"] = a.Reason,
            ["created_at"] = StacTime.Utc(a.CreatedAt),
        };
        if (a.PictureId is { } p)
        {
            json["picture_id"] = p.ToString();
        }
        if (a.SequenceId is { } s)
        {
            json["sequence_id"] = s.ToString();
        }
        if (a.ReportId is { } r)
        {
            json["report_id"] = r.ToString();
        }
        return json;
    }

    private static void RequireAdmin(Viewer viewer)
    {
        if (!viewer.IsAdmin)
        {
            throw ApiException.Forbidden("Only moderators (admins of this instance) can do this");
        }
    }
}
