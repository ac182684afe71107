using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Panoramax.Auth;
using Panoramax.Domain.Visibility;
using Panoramax.Server.Http;

namespace Panoramax.Server.Manage;

/// <summary>
/// Excluded areas (§10): instance-wide polygons kept by admins and each contributor's own, where uploads are refused
/// (the upload code asks <see cref="Persistence.Manage.ExcludedAreas.ContainsAsync"/>). Geometries are GeoJSON
/// Polygons or MultiPolygons in WGS 84, checked by PostGIS.
/// </summary>
public static class ExcludedAreaEndpoints
{
    public static RouteGroupBuilder MapExcludedAreas(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("").WithTags("Excluded areas");
        g.MapGet("/configuration/excluded_areas", ListInstanceAsync).WithName("ListExcludedAreas")
            .WithSummary("Instance-wide excluded areas as GeoJSON (public ones; all=true for admins)");
        g.MapPost("/configuration/excluded_areas", AddInstanceAsync).RequireLogin().WithName("AddExcludedArea")
            .WithSummary("Admins: add an instance-wide excluded area (a GeoJSON Feature; properties label, is_public)");
        g.MapDelete("/configuration/excluded_areas/{areaId:guid}", DeleteInstanceAsync).RequireLogin().WithName("DeleteExcludedArea")
            .WithSummary("Admins: remove an instance-wide excluded area");
        g.MapGet("/users/me/excluded_areas", ListMineAsync).RequireLogin().WithName("ListMyExcludedAreas").WithSummary("My own excluded areas");
        g.MapPost("/users/me/excluded_areas", AddMineAsync).RequireLogin().WithName("AddMyExcludedArea").WithSummary("Add one of my excluded areas (a GeoJSON Feature)");
        g.MapDelete("/users/me/excluded_areas/{areaId:guid}", DeleteMineAsync).RequireLogin().WithName("DeleteMyExcludedArea").WithSummary("Remove one of my excluded areas");
        return api;
    }

    internal static async Task<IResult> ListInstanceAsync(HttpRequest request, CurrentViewer current, NpgsqlDataSource db, CancellationToken ct)
    {
        var all = Stac.StacParams.ParseBool(request.Query["all"], "all");
        if (all && !current.Viewer.IsAdmin)
        {
            throw ApiException.Forbidden("Only admins can list every excluded area");
        }
        return await ListAsync(db, "account_id IS NULL" + (all ? "" : " AND is_public"), null, ct);
    }

    internal static Task<IResult> ListMineAsync(CurrentViewer current, NpgsqlDataSource db, CancellationToken ct) =>
        ListAsync(db, "account_id = @me", current.Viewer.AccountId, ct);

    internal static async Task<IResult> AddInstanceAsync(HttpRequest request, CurrentViewer current, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        RequireAdmin(current.Viewer);
        return await AddAsync(request, db, null, clock, ct);
    }

    internal static Task<IResult> AddMineAsync(HttpRequest request, CurrentViewer current, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        AddAsync(request, db, current.Viewer.AccountId, clock, ct);

    internal static async Task<IResult> DeleteInstanceAsync(Guid areaId, CurrentViewer current, NpgsqlDataSource db, CancellationToken ct)
    {
        RequireAdmin(current.Viewer);
        return await DeleteAsync(db, areaId, "account_id IS NULL", null, ct);
    }

    internal static Task<IResult> DeleteMineAsync(Guid areaId, CurrentViewer current, NpgsqlDataSource db, CancellationToken ct) =>
        DeleteAsync(db, areaId, "account_id = @me", current.Viewer.AccountId, ct);

    private static async Task<IResult> ListAsync(NpgsqlDataSource db, string where, Guid? me, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"SELECT id, label, is_public, account_id, ST_AsGeoJSON(geometry, 7) FROM excluded_areas WHERE {where} ORDER BY created_at, id");
        if (me is { } m)
        {
            cmd.Parameters.AddWithValue("me", m);
        }
        var features = new JsonArray();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            features.Add(Feature(r.GetGuid(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetBoolean(2), r.IsDBNull(3) ? null : r.GetGuid(3), r.GetString(4)));
        }
        return Results.Json(new JsonObject { ["type"] = "FeatureCollection", ["features"] = features }, ApiJson.Options, ApiJson.GeoJson);
    }

    private static async Task<IResult> AddAsync(HttpRequest request, NpgsqlDataSource db, Guid? owner, TimeProvider clock, CancellationToken ct)
    {
        const string notAnArea = "An excluded area is a GeoJSON Feature whose geometry is a Polygon or a MultiPolygon";
        var feature = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            "Excluded areas are sent as a GeoJSON Feature (Content-Type: application/json)", notAnArea, ct);
        if (!feature.TryGetProperty("geometry", out var geometry) || geometry.ValueKind != JsonValueKind.Object
            || !geometry.TryGetProperty("type", out var type) || type.GetString() is not ("Polygon" or "MultiPolygon"))
        {
            throw ApiException.BadRequest(notAnArea);
        }
        string? label = null;
        var isPublic = owner is null;
        if (feature.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object)
        {
            if (props.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String)
            {
                label = l.GetString()!.Length <= 250 ? l.GetString() : throw ApiException.BadRequest("label is too long (250 characters at most)");
            }
            if (props.TryGetProperty("is_public", out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                isPublic = p.GetBoolean() && owner is null;
            }
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await using var cmd = db.CreateCommand("""
            WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(@geojson), 4326) AS geom)
            INSERT INTO excluded_areas (id, account_id, label, is_public, geometry, created_at)
            SELECT @id, @owner, @label, @public, g.geom, @now FROM g WHERE ST_IsValid(g.geom)
            RETURNING ST_AsGeoJSON(geometry, 7)
            """);
        cmd.Parameters.AddWithValue("geojson", geometry.GetRawText());
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.Add(new NpgsqlParameter("owner", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)owner ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("label", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)label ?? DBNull.Value });
        cmd.Parameters.AddWithValue("public", isPublic);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        object? stored;
        try
        {
            stored = await cmd.ExecuteScalarAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("XX", StringComparison.Ordinal) || e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            throw ApiException.BadRequest("The geometry is not valid GeoJSON", new { error = e.MessageText });
        }
        if (stored is not string json)
        {
            throw ApiException.BadRequest("The polygon is not valid (self-intersecting or not closed)");
        }
        return Results.Json(Feature(id, label, isPublic, owner, json), ApiJson.Options, ApiJson.GeoJson);
    }

    private static async Task<IResult> DeleteAsync(NpgsqlDataSource db, Guid id, string where, Guid? me, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"DELETE FROM excluded_areas WHERE id = @id AND {where}");
        cmd.Parameters.AddWithValue("id", id);
        if (me is { } m)
        {
            cmd.Parameters.AddWithValue("me", m);
        }
        return await cmd.ExecuteNonQueryAsync(ct) == 0 ? throw ApiException.NotFound($"Excluded area {id} not found") : Results.NoContent();
    }

    private static JsonObject Feature(Guid id, string? label, bool isPublic, Guid? owner, string geometryJson)
    {
        var props = new JsonObject { ["label"] = label, ["is_public"] = isPublic };
        if (owner is { } o)
        {
            props["account_id"] = o.ToString();
        }
        return new JsonObject { ["type"] = "Feature", ["id"] = id.ToString(), ["geometry"] = JsonNode.Parse(geometryJson), ["properties"] = props };
    }

    private static void RequireAdmin(Viewer viewer)
    {
        if (!viewer.IsAdmin)
        {
            throw ApiException.Forbidden("Only admins can change instance-wide excluded areas");
        }
    }
}
