using Npgsql;

namespace Panoramax.Persistence.Queries;

/// <summary>Conditions several hand-written queries share, with their parameters.</summary>
public static class SqlConditions
{
    /// <summary><paramref name="column"/> intersects the bbox (uses the GiST index).</summary>
    public static string BboxIntersects(string column, (double MinX, double MinY, double MaxX, double MaxY) b, NpgsqlParameterCollection p)
    {
        p.AddWithValue("minx", b.MinX);
        p.AddWithValue("miny", b.MinY);
        p.AddWithValue("maxx", b.MaxX);
        p.AddWithValue("maxy", b.MaxY);
        return $"{column} && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326)";
    }

    /// <summary>
    /// Half-sizes in degrees of a box that holds every point within <paramref name="metres"/> of latitude
    /// <paramref name="lat"/>: the cheap GiST pre-filter before an exact geodesic distance test.
    /// </summary>
    public static (double Lon, double Lat) DegreesAround(double lat, double metres) =>
        (metres / (111_320.0 * Math.Max(0.01, Math.Cos(lat * Math.PI / 180))), metres / 110_540.0);
}
