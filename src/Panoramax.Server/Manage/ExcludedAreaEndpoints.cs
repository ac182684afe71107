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
        g.MapPut("/configuration/excluded_areas", ReplaceInstanceAsync).RequireLogin().WithName("ReplaceExcludedAreas")
            .WithSummary("Admins: replace every instance-wide excluded area (a GeoJSON FeatureCollection; invert=true: the features are where uploads are allowed)");
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

    private const string NotAnArea = "An excluded area is a GeoJSON Feature whose geometry is a Polygon or a MultiPolygon";

    private static async Task<IResult> AddAsync(HttpRequest request, NpgsqlDataSource db, Guid? owner, TimeProvider clock, CancellationToken ct)
    {
        var feature = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            "Excluded areas are sent as a GeoJSON Feature (Content-Type: application/json)", NotAnArea, ct);
        var area = ParseFeature(feature, owner);
        await using var conn = await db.OpenConnectionAsync(ct);
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        var json = await InsertAsync(conn, null, id, owner, area, clock.GetUtcNow(), ct);
        return Results.Json(Feature(id, area.Label, area.IsPublic, owner, json), ApiJson.Options, ApiJson.GeoJson);
    }

    /// <summary>
    /// <c>PUT /api/configuration/excluded_areas</c>: the instance-wide areas become exactly the given FeatureCollection,
    /// in one transaction. With <c>invert=true</c> the features say where uploads are allowed: what is stored is one area,
    /// the whole world minus their union.
    /// </summary>
    internal static async Task<IResult> ReplaceInstanceAsync(HttpRequest request, CurrentViewer current, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        RequireAdmin(current.Viewer);
        var invert = Stac.StacParams.ParseBool(request.Query["invert"], "invert");
        const string notACollection = "Excluded areas are replaced with a GeoJSON FeatureCollection of Polygon or MultiPolygon Features";
        var collection = await JsonBody.ReadObjectAsync(request, StatusCodes.Status415UnsupportedMediaType,
            "Excluded areas are sent as a GeoJSON FeatureCollection (Content-Type: application/json)", notACollection, ct);
        if (!collection.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest(notACollection);
        }
        var areas = features.EnumerateArray().Select((f, i) => f.ValueKind == JsonValueKind.Object
            ? ParseFeature(f, null)
            : throw ApiException.BadRequest($"features[{i}] is not a GeoJSON Feature")).ToList();
        if (invert && areas.Count == 0)
        {
            throw ApiException.BadRequest("invert=true needs at least one Feature: the areas where uploads stay allowed");
        }
        var now = clock.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var clear = new NpgsqlCommand("DELETE FROM excluded_areas WHERE account_id IS NULL", conn, tx))
        {
            await clear.ExecuteNonQueryAsync(ct);
        }
        if (invert)
        {
            // The allowed areas as one MultiPolygon; the stored area is the world outside it.
            var allowed = new JsonObject
            {
                ["type"] = "GeometryCollection",
                ["geometries"] = new JsonArray([.. areas.Select(a => JsonNode.Parse(a.GeometryJson))]),
            };
            var label = areas.Count == 1 && areas[0].Label is { } l ? $"Outside {l}" : "Outside the areas where uploads are allowed";
            await InsertAsync(conn, tx, Guid.CreateVersion7(now), null, new AreaInput(allowed.ToJsonString(), label, true), now, ct, outside: true);
        }
        else
        {
            // One microsecond apart: listed back in the order they were given.
            for (var i = 0; i < areas.Count; i++)
            {
                var at = now.AddMicroseconds(i);
                await InsertAsync(conn, tx, Guid.CreateVersion7(at), null, areas[i], at, ct);
            }
        }
        await tx.CommitAsync(ct);
        return await ListAsync(db, "account_id IS NULL", null, ct);
    }

    private sealed record AreaInput(string GeometryJson, string? Label, bool IsPublic);

    private static AreaInput ParseFeature(JsonElement feature, Guid? owner)
    {
        if (!feature.TryGetProperty("geometry", out var geometry) || geometry.ValueKind != JsonValueKind.Object
            || !geometry.TryGetProperty("type", out var type) || type.GetString() is not ("Polygon" or "MultiPolygon"))
        {
            throw ApiException.BadRequest(NotAnArea);
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
        return new AreaInput(geometry.GetRawText(), label, isPublic);
    }

    /// <summary>Stores one area (or, with <paramref name="outside"/>, the world minus the given geometry) and returns
    /// its GeoJSON; PostGIS judges validity.</summary>
    private static async Task<string> InsertAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid id, Guid? owner, AreaInput area, DateTimeOffset now, CancellationToken ct, bool outside = false)
    {
        var geom = outside
            ? "ST_Multi(ST_Difference(ST_MakeEnvelope(-180, -90, 180, 90, 4326), ST_UnaryUnion(ST_SetSRID(ST_GeomFromGeoJSON(@geojson), 4326))))"
            : "ST_SetSRID(ST_GeomFromGeoJSON(@geojson), 4326)";
        await using var cmd = new NpgsqlCommand($"""
            WITH g AS (SELECT {geom} AS geom)
            INSERT INTO excluded_areas (id, account_id, label, is_public, geometry, created_at)
            SELECT @id, @owner, @label, @public, g.geom, @now FROM g WHERE ST_IsValid(g.geom) AND NOT ST_IsEmpty(g.geom)
            RETURNING ST_AsGeoJSON(geometry, 7)
            """, conn, tx);
        cmd.Parameters.AddWithValue("geojson", area.GeometryJson);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.Add(new NpgsqlParameter("owner", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)owner ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("label", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)area.Label ?? DBNull.Value });
        cmd.Parameters.AddWithValue("public", area.IsPublic);
        cmd.Parameters.AddWithValue("now", now);
        object? stored;
        try
        {
            stored = await cmd.ExecuteScalarAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("XX", StringComparison.Ordinal) || e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            throw ApiException.BadRequest("The geometry is not valid GeoJSON", new { error = e.MessageText });
        }
        return stored as string ?? throw ApiException.BadRequest(outside
            ? "The allowed areas are not valid polygons, or they cover the whole world"
            : "The polygon is not valid (self-intersecting or not closed)");
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
