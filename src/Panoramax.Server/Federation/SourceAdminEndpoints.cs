using System.Globalization;
using System.Text.Json;
using Npgsql;
using Panoramax.Federation.Legacy;
using Panoramax.Server.Http;
using Panoramax.Server.Manage;

namespace Panoramax.Server.Federation;

/// <summary>
/// Admin API of the harvested legacy GeoVisio instances (configured in <c>Panoramax:Aggregator:Sources</c>, or added
/// here): status, add, remove, harvest-now and licence filter, in snake_case as the peers'.
/// </summary>
public static class SourceAdminEndpoints
{
    private const string What = "legacy sources";

    public static RouteGroupBuilder MapSourceAdmin(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/admin/sources").WithTags("Federation");
        g.MapGet("", List).WithSummary("Harvested legacy instances with their cursor, last run and last error");
        g.MapPost("", Add).WithSummary("Start harvesting a legacy instance: {\"url\", \"name\"?, \"interval\"? (hh:mm:ss, default 00:05:00)}; the first harvest runs at once");
        g.MapGet("/{id:guid}", Get).WithSummary("One harvested legacy instance");
        g.MapDelete("/{id:guid}", Remove).WithSummary("Stop harvesting a legacy instance added here (what was harvested stays)");
        g.MapPost("/{id:guid}/harvest", Harvest).WithSummary("Harvest a legacy instance now (202; the status shows the outcome)");
        g.MapPut("/{id:guid}/licenses", SetLicenses).WithSummary("Licences of this source's records shown here (null = all)");
        return g;
    }

    private static async Task<IResult> List(CurrentViewer viewer, LegacyHarvestScheduler sources, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        return Results.Json(new { sources = await sources.ListAsync(ct) }, PeerAdminEndpoints.Json);
    }

    private static async Task<IResult> Get(Guid id, CurrentViewer viewer, LegacyHarvestScheduler sources, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        return await sources.GetAsync(id, ct) is { } source ? Results.Json(source, PeerAdminEndpoints.Json) : throw ApiException.NotFound("No such legacy source.");
    }

    private static async Task<IResult> SetLicenses(Guid id, HttpRequest request, CurrentViewer viewer, LegacyHarvestScheduler sources, NpgsqlDataSource db,
        MapRefresh map, TimeProvider clock, ILoggerFactory logs, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        const string notFound = "No such legacy source.";
        if (await sources.GetAsync(id, ct) is null)
        {
            throw ApiException.NotFound(notFound);
        }
        return await PeerAdminEndpoints.SetLicensesAsync(id, request, viewer, db, map, clock, logs, notFound, ct);
    }

    private static async Task<IResult> Add(HttpRequest request, CurrentViewer viewer, LegacyHarvestScheduler sources, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        const string example = "{\"url\": \"https://panoramax.example.org\", \"name\": \"Example\", \"interval\": \"00:05:00\"}";
        var body = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            $"Send the source as JSON (Content-Type: application/json), e.g. {example}", $"The body must be a JSON object, e.g. {example}", ct);
        var url = Text(body, "url");
        if (string.IsNullOrWhiteSpace(url) || !LegacySourceOptions.IsValidUrl(url))
        {
            throw ApiException.BadRequest($"Give the root URL of the legacy instance, an absolute http(s) URL, e.g. {example}", new { url });
        }
        var name = Text(body, "name");
        if (name is { Length: > 200 })
        {
            throw ApiException.BadRequest("The name is at most 200 characters");
        }
        var interval = TimeSpan.FromMinutes(5);
        if (Text(body, "interval") is { } text
            && (!TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out interval)
                || interval < LegacyHarvestScheduler.MinInterval || interval > LegacyHarvestScheduler.MaxInterval))
        {
            throw ApiException.BadRequest(
                $"interval is the time between two harvests as hh:mm:ss (or d.hh:mm:ss), from {LegacyHarvestScheduler.MinInterval:c} to {LegacyHarvestScheduler.MaxInterval:c}", new { interval = text });
        }
        try
        {
            var (source, created) = await sources.AddAsync(url, string.IsNullOrWhiteSpace(name) ? null : name, interval, ct);
            request.HttpContext.Response.Headers.Location = $"/api/admin/sources/{source.Id}";
            return Results.Json(source, PeerAdminEndpoints.Json, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
        catch (LegacySourceConflictException e)
        {
            throw ApiException.Conflict(e.Message);
        }
    }

    /// <summary>A string member, or null when absent or null; 400 when it is another kind of value.</summary>
    private static string? Text(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw ApiException.BadRequest($"{name} must be a string");

    private static async Task<IResult> Remove(Guid id, CurrentViewer viewer, LegacyHarvestScheduler sources, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        try
        {
            return await sources.RemoveAsync(id, ct) ? Results.NoContent() : throw ApiException.NotFound("No such legacy source being harvested (added here and not removed).");
        }
        catch (LegacySourceConflictException e)
        {
            throw ApiException.Conflict(e.Message);
        }
    }

    private static async Task<IResult> Harvest(Guid id, CurrentViewer viewer, LegacyHarvestScheduler sources, LegacySourceClient client, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        client.Reset(id);
        return await sources.TriggerAsync(id, ct)
            ? Results.Accepted($"/api/admin/sources/{id}")
            : throw ApiException.NotFound("No such legacy source being harvested (configured in Panoramax:Aggregator:Sources, or added here and not removed).");
    }
}
