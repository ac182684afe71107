using Microsoft.EntityFrameworkCore;
using NetTopologySuite.Geometries;

namespace Panoramax.Persistence.Manage;

/// <summary>Where uploads are refused: the check the upload code calls before accepting a picture.</summary>
public static class ExcludedAreas
{
    /// <summary>
    /// Whether <paramref name="point"/> (WGS 84) falls in an instance-wide excluded area or in one of
    /// <paramref name="accountId"/>'s own (pass null for anonymous uploads: only instance-wide areas apply).
    /// </summary>
    public static Task<bool> ContainsAsync(PanoramaxDbContext db, Guid? accountId, Point point, CancellationToken ct = default)
    {
        if (point.SRID != 4326)
        {
            point = new Point(point.X, point.Y) { SRID = 4326 };
        }
        return db.ExcludedAreas.AnyAsync(a => (a.AccountId == null || a.AccountId == accountId) && a.Geometry.Intersects(point), ct);
    }
}
