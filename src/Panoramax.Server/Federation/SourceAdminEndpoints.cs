using Npgsql;
using Panoramax.Federation.Legacy;
using Panoramax.Server.Http;
using Panoramax.Server.Manage;

namespace Panoramax.Server.Federation;

/// <summary>Admin API of the harvested legacy GeoVisio instances (configured in <c>Panoramax:Aggregator:Sources</c>): status and harvest-now, in snake_case as the peers'.</summary>
public static class SourceAdminEndpoints
{
    private const string What = "legacy sources";

    public static RouteGroupBuilder MapSourceAdmin(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/admin/sources").WithTags("Federation");
        g.MapGet("", List).WithSummary("Harvested legacy instances with their cursor, last run and last error");
        g.MapGet("/{id:guid}", Get).WithSummary("One harvested legacy instance");
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
        return (await sources.ListAsync(ct)).FirstOrDefault(s => s.Id == id) is { } source ? Results.Json(source, PeerAdminEndpoints.Json) : throw ApiException.NotFound("No such legacy source.");
    }

    private static async Task<IResult> SetLicenses(Guid id, HttpRequest request, CurrentViewer viewer, LegacyHarvestScheduler sources, NpgsqlDataSource db,
        MapRefresh map, TimeProvider clock, ILoggerFactory logs, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        const string notFound = "No such legacy source.";
        if (!(await sources.ListAsync(ct)).Any(s => s.Id == id))
        {
            throw ApiException.NotFound(notFound);
        }
        return await PeerAdminEndpoints.SetLicensesAsync(id, request, viewer, db, map, clock, logs, notFound, ct);
    }

    private static async Task<IResult> Harvest(Guid id, CurrentViewer viewer, LegacyHarvestScheduler sources, LegacySourceClient client, CancellationToken ct)
    {
        PeerAdminEndpoints.RequireAdmin(viewer, What);
        client.Reset(id);
        return await sources.TriggerAsync(id, ct)
            ? Results.Accepted($"/api/admin/sources/{id}")
            : throw ApiException.NotFound("No such legacy source in the configuration (Panoramax:Aggregator:Sources).");
    }
}
