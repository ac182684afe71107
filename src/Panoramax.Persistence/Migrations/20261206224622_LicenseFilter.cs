using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <summary>
    /// The per-origin licence filter: <c>instances.accepted_licenses</c> (null = show all) and a
    /// <c>license_filtered</c> flag on sequences and pictures that the visibility predicate excludes for every viewer.
    /// The flag is kept by BEFORE triggers (whatever writes a replicated row — sync, snapshot, legacy harvest — gets
    /// it right without knowing about filters) and rewritten set-based when an admin changes the filter
    /// (Queries/LicenseFilterSql.cs). The column is not in the EF model: only SQL reads it.
    /// A picture without a licence of its own follows its sequence's flag (the sequence predicate hides it);
    /// a sequence without a licence is hidden as soon as its origin has a filter (an unknown licence is not accepted).
    /// The trigger locks the origin row FOR KEY SHARE so a filter change (which takes it FOR UPDATE) and an apply
    /// never interleave: the later one sees the other's rows or filter. The SQL is written out here, not shared with
    /// the code, so this migration keeps meaning what it meant.
    /// </summary>
    public partial class LicenseFilter : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<string>>(
                name: "accepted_licenses",
                table: "instances",
                type: "text[]",
                nullable: true);

            migrationBuilder.Sql("""
                ALTER TABLE sequences ADD COLUMN license_filtered boolean NOT NULL DEFAULT false;
                ALTER TABLE pictures ADD COLUMN license_filtered boolean NOT NULL DEFAULT false;

                CREATE FUNCTION sequences_license_filter() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE accepted text[];
                BEGIN
                    SELECT i.accepted_licenses INTO accepted FROM instances i WHERE i.id = NEW.origin_instance_id FOR KEY SHARE;
                    NEW.license_filtered := accepted IS NOT NULL
                        AND (NEW.license IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(accepted) a WHERE lower(a) = lower(NEW.license)));
                    RETURN NEW;
                END $$;

                CREATE FUNCTION pictures_license_filter() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE accepted text[];
                BEGIN
                    IF NEW.license IS NULL THEN
                        NEW.license_filtered := false;
                        RETURN NEW;
                    END IF;
                    SELECT i.accepted_licenses INTO accepted FROM instances i WHERE i.id = NEW.origin_instance_id FOR KEY SHARE;
                    NEW.license_filtered := accepted IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM unnest(accepted) a WHERE lower(a) = lower(NEW.license));
                    RETURN NEW;
                END $$;

                CREATE TRIGGER sequences_license_filter BEFORE INSERT OR UPDATE OF license, origin_instance_id ON sequences
                    FOR EACH ROW EXECUTE FUNCTION sequences_license_filter();
                CREATE TRIGGER pictures_license_filter BEFORE INSERT OR UPDATE OF license, origin_instance_id ON pictures
                    FOR EACH ROW EXECUTE FUNCTION pictures_license_filter();

                -- The map's low-zoom grid counts only what everyone may see: filtered records are out too.
                DROP MATERIALIZED VIEW IF EXISTS picture_grid;
                CREATE MATERIALIZED VIEW picture_grid AS
                WITH cells AS (
                    SELECT floor(ST_X(p.location) * 10)::int AS cx,
                           floor(ST_Y(p.location) * 10)::int AS cy,
                           count(*)::int AS nb_pictures,
                           (count(*) FILTER (WHERE p.kind = 'equirectangular'))::int AS nb_360_pictures,
                           (count(*) FILTER (WHERE p.kind = 'flat'))::int AS nb_flat_pictures
                    FROM pictures p
                    JOIN sequences s ON s.id = p.sequence_id
                    WHERE p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL AND NOT p.license_filtered
                      AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL AND NOT s.license_filtered
                    GROUP BY 1, 2
                ),
                maxima AS (
                    SELECT max(nb_pictures) AS m_all, max(nb_360_pictures) AS m_360, max(nb_flat_pictures) AS m_flat FROM cells
                )
                SELECT (c.cx + 1800) * 1800 + (c.cy + 900) AS id,
                       ST_Transform(ST_SetSRID(ST_MakePoint((c.cx + 0.5) / 10.0, least(greatest((c.cy + 0.5) / 10.0, -85.0), 85.0)), 4326), 3857) AS geom,
                       c.nb_pictures, c.nb_360_pictures, c.nb_flat_pictures,
                       CASE WHEN c.nb_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_pictures::numeric / m.m_all, 1)) END::float8 AS coef,
                       CASE WHEN c.nb_360_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_360_pictures::numeric / m.m_360, 1)) END::float8 AS coef_360_pictures,
                       CASE WHEN c.nb_flat_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_flat_pictures::numeric / m.m_flat, 1)) END::float8 AS coef_flat_pictures
                FROM cells c CROSS JOIN maxima m;
                CREATE UNIQUE INDEX ix_picture_grid_id ON picture_grid (id);
                CREATE INDEX ix_picture_grid_geom ON picture_grid USING gist (geom);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP MATERIALIZED VIEW IF EXISTS picture_grid;
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
                       ST_Transform(ST_SetSRID(ST_MakePoint((c.cx + 0.5) / 10.0, least(greatest((c.cy + 0.5) / 10.0, -85.0), 85.0)), 4326), 3857) AS geom,
                       c.nb_pictures, c.nb_360_pictures, c.nb_flat_pictures,
                       CASE WHEN c.nb_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_pictures::numeric / m.m_all, 1)) END::float8 AS coef,
                       CASE WHEN c.nb_360_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_360_pictures::numeric / m.m_360, 1)) END::float8 AS coef_360_pictures,
                       CASE WHEN c.nb_flat_pictures = 0 THEN 0 ELSE greatest(0.1, round(c.nb_flat_pictures::numeric / m.m_flat, 1)) END::float8 AS coef_flat_pictures
                FROM cells c CROSS JOIN maxima m;
                CREATE UNIQUE INDEX ix_picture_grid_id ON picture_grid (id);
                CREATE INDEX ix_picture_grid_geom ON picture_grid USING gist (geom);

                DROP TRIGGER pictures_license_filter ON pictures;
                DROP TRIGGER sequences_license_filter ON sequences;
                DROP FUNCTION pictures_license_filter();
                DROP FUNCTION sequences_license_filter();
                ALTER TABLE pictures DROP COLUMN license_filtered;
                ALTER TABLE sequences DROP COLUMN license_filtered;
                """);

            migrationBuilder.DropColumn(
                name: "accepted_licenses",
                table: "instances");
        }
    }
}
