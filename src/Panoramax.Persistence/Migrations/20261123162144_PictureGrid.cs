using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <summary>
    /// The low-zoom map grid (see Queries/PictureGrid.cs): public, ready pictures per 0.1° cell with counts by kind
    /// and coefficients 0–1 (one decimal, relative to the fullest cell, at least 0.1 for a non-empty cell).
    /// The SQL is written out here, not shared with the code, so this migration keeps meaning what it meant.
    /// </summary>
    public partial class PictureGrid : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE MATERIALIZED VIEW picture_grid AS
                WITH cells AS (
                    SELECT floor(ST_X(p.location) * 10)::int AS cx,
                           floor(ST_Y(p.location) * 10)::int AS cy,
                           count(*)::int AS nb_pictures,
                           (count(*) FILTER (WHERE p.kind = 'equirectangular'))::int AS nb_360_pictures,
                           (count(*) FILTER (WHERE p.kind = 'flat'))::int AS nb_flat_pictures
                    FROM pictures p
                    JOIN sequences s ON s.id = p.sequence_id
                    WHERE p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL
                      AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL
                    GROUP BY 1, 2
                ),
                maxima AS (
                    SELECT max(nb_pictures) AS m_all, max(nb_360_pictures) AS m_360, max(nb_flat_pictures) AS m_flat FROM cells
                )
                SELECT (c.cx + 1800) * 1800 + (c.cy + 900) AS id,
                       -- Centroid of the cell, in Web Mercator like the tiles (latitudes clamped to its limits).
                       ST_Transform(ST_SetSRID(ST_MakePoint((c.cx + 0.5) / 10.0, least(greatest((c.cy + 0.5) / 10.0, -85.0), 85.0)), 4326), 3857) AS geom,
                       c.nb_pictures, c.nb_360_pictures, c.nb_flat_pictures,
                       CASE WHEN c.nb_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_pictures::numeric / m.m_all, 1)) END::float8 AS coef,
                       CASE WHEN c.nb_360_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_360_pictures::numeric / m.m_360, 1)) END::float8 AS coef_360_pictures,
                       CASE WHEN c.nb_flat_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_flat_pictures::numeric / m.m_flat, 1)) END::float8 AS coef_flat_pictures
                FROM cells c CROSS JOIN maxima m;

                -- Needed by REFRESH … CONCURRENTLY, which keeps the grid readable while it is rebuilt.
                CREATE UNIQUE INDEX ix_picture_grid_id ON picture_grid (id);
                CREATE INDEX ix_picture_grid_geom ON picture_grid USING gist (geom);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP MATERIALIZED VIEW IF EXISTS picture_grid;");
        }
    }
}
