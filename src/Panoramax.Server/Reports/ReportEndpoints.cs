using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Reports;
using Panoramax.Persistence;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Http;

namespace Panoramax.Server.Reports;

/// <summary>
/// <c>POST /api/reports</c>: anyone (logged in or not) reports a problem on a picture or a sequence they can see
/// (the viewer's report button). Moderation routes come with the managing issue.
/// </summary>
public static class ReportEndpoints
{
    private const int MaxComment = 4000;

    public static RouteGroupBuilder MapReports(this RouteGroupBuilder api)
    {
        api.MapPost("/reports", CreateAsync).WithName("CreateReport").WithSummary("Report a problem on a picture or a sequence");
        return api;
    }

    internal static async Task<IResult> CreateAsync(HttpRequest request, CurrentViewer current, NpgsqlDataSource db, PanoramaxDbContext ef, TimeProvider clock, CancellationToken ct)
    {
        var body = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            "Reports are sent as JSON (Content-Type: application/json)", "The report must be a JSON object", ct);

        var issueText = Text(body, "issue", 64);
        if (!ApiNames.TryParseApiName<ReportIssue>(issueText, out var issue))
        {
            throw ApiException.BadRequest($"issue must be one of: {string.Join(", ", ApiNames.AllApiNames<ReportIssue>())}", new { input = issueText });
        }
        var pictureId = Id(body, "picture_id");
        var sequenceId = Id(body, "sequence_id");
        if (pictureId is null && sequenceId is null)
        {
            throw ApiException.BadRequest("A report needs a picture_id or a sequence_id");
        }
        var email = Text(body, "reporter_email", 320);
        if (email is not null && !new EmailAddressAttribute().IsValid(email))
        {
            throw ApiException.BadRequest("reporter_email is not a valid e-mail address", new { input = email });
        }
        var comments = Text(body, "reporter_comments", MaxComment);
        // Anyone may report, logged in or not: one address may send only so many per hour.
        request.HttpContext.RequestServices.GetRequiredKeyedService<ClientThrottle>(ClientThrottle.Report)
            .Enforce(request.HttpContext, "Too many reports were sent from your address");

        // Only what the reporter can see can be reported (no probing of hidden ids).
        var viewer = current.Viewer;
        if (pictureId is { } pid)
        {
            var rows = await ItemQuery.ReadAsync(db, viewer, new ItemFilter { Ids = [pid], IncludeUnpublishedForOwner = true, WithNeighbours = false }, ItemOrder.Rank, 1, null, ct);
            var picture = rows.FirstOrDefault() ?? throw ApiException.NotFound($"Picture {pid} not found");
            if (sequenceId is { } given && given != picture.SequenceId)
            {
                throw ApiException.BadRequest($"Picture {pid} is not in sequence {given}");
            }
            sequenceId = picture.SequenceId;
        }
        else if (sequenceId is { } sid)
        {
            var rows = await CollectionQuery.ReadAsync(db, viewer, new CollectionFilter { Id = sid, IncludeUnpublishedForOwner = true }, [new CollectionSort("id", false)], null, 1, ct);
            if (rows.Count == 0)
            {
                throw ApiException.NotFound($"Sequence {sid} not found");
            }
        }

        var now = clock.GetUtcNow();
        var report = new Report
        {
            Id = Guid.CreateVersion7(now),
            Issue = issue,
            Status = ReportStatus.Open,
            PictureId = pictureId,
            SequenceId = sequenceId,
            ReporterAccountId = viewer.AccountId,
            ReporterEmail = email,
            ReporterComments = comments,
            CreatedAt = now,
            UpdatedAt = now,
        };
        ef.Reports.Add(report);
        await ef.SaveChangesAsync(ct);

        var json = new JsonObject
        {
            ["id"] = report.Id.ToString(),
            ["issue"] = report.Issue.ToApiName(),
            ["status"] = report.Status.ToApiName(),
            ["picture_id"] = report.PictureId?.ToString(),
            ["sequence_id"] = report.SequenceId?.ToString(),
            ["reporter_comments"] = report.ReporterComments,
            ["created_at"] = StacTime.Utc(report.CreatedAt),
        };
        return Results.Json(json, ApiJson.Options, ApiJson.Json);
    }

    private static string? Text(JsonElement body, string name, int max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadRequest($"{name} must be a text");
        }
        var s = v.GetString()!.Trim();
        return s.Length > max ? throw ApiException.BadRequest($"{name} is too long ({max} characters at most)") : s.Length == 0 ? null : s;
    }

    private static Guid? Id(JsonElement body, string name) =>
        Text(body, name, 64) is { } s
            ? Guid.TryParse(s, out var id) ? id : throw ApiException.BadRequest($"{name} must be an id (UUID)", new { input = s })
            : null;
}
