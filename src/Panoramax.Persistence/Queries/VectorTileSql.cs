namespace Panoramax.Persistence.Queries;

/// <summary>
/// The SQL of the vector tiles (MVT 2, extent 4096), kept here in one readable place. Each layer is a CTE over
/// <c>bounds</c>: <c>tile</c> is the tile in Web Mercator (what <c>ST_AsMVTGeom</c> clips to) and <c>area</c> the
/// same tile plus a small margin in WGS84, so the GiST indexes on the 4326 columns are used. Properties are the ones
/// the web viewer reads (its filters compare <c>date</c>/<c>ts</c> as strings and use numbers in <c>step</c>
/// expressions); a NULL property is simply absent from the feature, which is how <c>hidden</c> is "true or absent".
/// Placeholders <c>{seq_visible}</c>/<c>{pic_visible}</c> receive the visibility predicate.
/// </summary>
public static class VectorTileSql
{
    public const int Extent = 4096;
    public const int Buffer = 64;

    /// <summary>Parameters: @z, @x, @y.</summary>
    public const string Bounds = """
        bounds AS (
            SELECT ST_TileEnvelope(@z, @x, @y) AS tile,
                   ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326) AS area
        )
        """;

    /// <summary>
    /// Precomputed 0.1° cells (the <c>picture_grid</c> table, see <see cref="PictureGridSql"/>), stored in Web Mercator
    /// already. The coefficients (a cell's share of the busiest cell, at least 0.1, as GeoVisio gives them) depend on
    /// every cell, so they are computed here from the maxima (each one an index look-up), in float8: a tenth rounded half
    /// up, exactly as numeric rounding gives it (the quotient of two integers is correctly rounded, so a true half stays
    /// one) at a fraction of its cost over thousands of cells.
    /// </summary>
    public const string Grid = """
        grid_maxima AS (
            SELECT (SELECT max(nb_pictures) FROM picture_grid) AS m_all,
                   (SELECT max(nb_360_pictures) FROM picture_grid) AS m_360,
                   (SELECT max(nb_flat_pictures) FROM picture_grid) AS m_flat
        ),
        grid_layer AS (
            SELECT ST_AsMVTGeom(g.geom, b.tile, 4096, 64, true) AS geom,
                   g.id, g.nb_pictures, g.nb_360_pictures, g.nb_flat_pictures,
                   CASE WHEN g.nb_pictures = 0 THEN 0 ELSE greatest(0.1, floor(g.nb_pictures * 10.0::float8 / m.m_all + 0.5) / 10) END AS coef,
                   CASE WHEN g.nb_360_pictures = 0 THEN 0 ELSE greatest(0.1, floor(g.nb_360_pictures * 10.0::float8 / m.m_360 + 0.5) / 10) END AS coef_360_pictures,
                   CASE WHEN g.nb_flat_pictures = 0 THEN 0 ELSE greatest(0.1, floor(g.nb_flat_pictures * 10.0::float8 / m.m_flat + 0.5) / 10) END AS coef_flat_pictures
            FROM picture_grid g, bounds b, grid_maxima m
            WHERE g.geom && b.tile
        )
        """;

    /// <summary>Zoom 6: lines only, simplified to about a pixel of the tile (parameter @tolerance, metres).</summary>
    public const string SimplifiedSequences = """
        sequence_layer AS (
            SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(s.geometry, 3857), @tolerance), b.tile, 4096, 64, true) AS geom
            FROM sequences s, bounds b
            WHERE s.geometry && b.area AND {seq_visible}
        )
        """;

    /// <summary>Sequences with the properties of the viewer's filters and themes; {seq_filter} narrows them (user tiles).</summary>
    public const string Sequences = """
        sequence_layer AS (
            SELECT ST_AsMVTGeom(ST_Transform(s.geometry, 3857), b.tile, 4096, 64, true) AS geom,
                   s.id::text AS id,
                   s.account_id::text AS account_id,
                   s.camera_model AS model,
                   s.kind AS type,
                   to_char(s.min_captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date,
                   s.gps_accuracy AS gps_accuracy,
                   s.horizontal_pixel_density AS h_pixel_density,
                   CASE WHEN s.visibility <> 'anyone' THEN true END AS hidden
            FROM sequences s, bounds b
            WHERE s.geometry && b.area AND {seq_visible}{seq_filter}
        )
        """;

    /// <summary>Pictures (zoom 15): visible themselves and in a visible sequence.</summary>
    public const string Pictures = """
        picture_layer AS (
            SELECT ST_AsMVTGeom(ST_Transform(p.location, 3857), b.tile, 4096, 64, true) AS geom,
                   p.id::text AS id,
                   p.account_id::text AS account_id,
                   to_char(p.captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ts,
                   round(p.heading)::int AS heading,
                   p.kind AS type,
                   NULLIF(concat_ws(' ', p.camera_make, p.camera_model), '') AS model,
                   p.gps_accuracy_m AS gps_accuracy,
                   p.horizontal_pixel_density AS h_pixel_density,
                   CASE WHEN p.visibility <> 'anyone' OR s.visibility <> 'anyone' THEN true END AS hidden,
                   json_build_array(p.sequence_id)::text AS sequences,
                   p.sequence_id::text AS first_sequence
            FROM pictures p
            JOIN sequences s ON s.id = p.sequence_id, bounds b
            WHERE p.location && b.area AND {pic_visible} AND {seq_visible}{pic_filter}
        )
        """;

    /// <summary>
    /// One MVT layer named <paramref name="name"/> from the CTE <c>{name singular}_layer</c> (CTEs must not shadow the
    /// tables they read); empty bytes when the tile has no feature of it.
    /// </summary>
    public static string Layer(string name)
    {
        var cte = name switch
        {
            "grid" => "grid_layer",
            "sequences" => "sequence_layer",
            "pictures" => "picture_layer",
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown layer"),
        };
        return $"coalesce((SELECT ST_AsMVT(l.*, '{name}', {Extent}, 'geom') FROM {cte} l WHERE l.geom IS NOT NULL), ''::bytea)";
    }

    /// <summary>The whole statement: the CTEs, then the layers concatenated (an MVT is a sequence of layers).</summary>
    public static string Compose(IEnumerable<string> ctes, IEnumerable<string> layers) =>
        $"WITH {string.Join(",\n", ctes)}\nSELECT {string.Join("\n    || ", layers.Select(Layer))}";
}
