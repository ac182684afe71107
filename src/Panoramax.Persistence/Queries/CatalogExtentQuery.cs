using Npgsql;

namespace Panoramax.Persistence.Queries;

/// <summary>Spatial and temporal extent of everything publicly published (for the landing page).</summary>
public sealed record CatalogExtent(double MinX, double MinY, double MaxX, double MaxY, DateTimeOffset? Start, DateTimeOffset? End);

public static class CatalogExtentQuery
{
    private const string Sql = """
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), tmin, tmax
        FROM (
            SELECT ST_Extent(bbox) AS e, min(min_captured_at) AS tmin, max(max_captured_at) AS tmax
            FROM sequences
            WHERE status = 'ready' AND visibility = 'anyone' AND deleted_at IS NULL
        ) s
        """;

    /// <returns>null when nothing is published yet.</returns>
    public static async Task<CatalogExtent?> PublicExtentAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct) || r.IsDBNull(0))
        {
            return null;
        }
        return new CatalogExtent(
            r.GetDouble(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3),
            r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5));
    }
}
