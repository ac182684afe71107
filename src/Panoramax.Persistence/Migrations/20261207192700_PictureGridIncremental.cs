using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <summary>
    /// The map's low-zoom grid becomes a table kept cell by cell instead of a materialized view rebuilt whole: a hide or
    /// a delete rebuilt every cell of the instance inside the request (3 s on 1,000,000 pictures, growing with the
    /// instance). Statement triggers with transition tables note the cells whose count may have changed in
    /// <c>picture_grid_dirty</c> (a picture entering or leaving the public set, moving, changing kind or sequence; a
    /// sequence entering or leaving it); the refresher recounts those cells only (Queries/PictureGrid.cs). The triggers
    /// fire ALWAYS, also under <c>session_replication_role = replica</c> (the federation apply). The coefficients the
    /// viewer reads are computed when a tile is built, from the maxima (indexed). The SQL is written out here so that
    /// this migration keeps meaning what it meant.
    /// </summary>
    public partial class PictureGridIncremental : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP MATERIALIZED VIEW IF EXISTS picture_grid;

                -- 0.1 degree cells; the edges of the world belong to the last cell (a picture at exactly 90 N or 180 E).
                CREATE FUNCTION picture_grid_cell(location geometry) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                    SELECT (least(greatest(floor(ST_X(location) * 10), -1800), 1799)::int + 1800) * 1800
                         + (least(greatest(floor(ST_Y(location) * 10), -900), 899)::int + 900)
                $$;

                CREATE TABLE picture_grid (
                    id int PRIMARY KEY,
                    geom geometry(Point, 3857) NOT NULL,
                    nb_pictures int NOT NULL,
                    nb_360_pictures int NOT NULL,
                    nb_flat_pictures int NOT NULL);
                CREATE INDEX ix_picture_grid_geom ON picture_grid USING gist (geom);
                CREATE INDEX ix_picture_grid_nb_pictures ON picture_grid (nb_pictures);
                CREATE INDEX ix_picture_grid_nb_360_pictures ON picture_grid (nb_360_pictures);
                CREATE INDEX ix_picture_grid_nb_flat_pictures ON picture_grid (nb_flat_pictures);

                -- A list, not a set: a mark is never merged with an older one, so a refresher that takes the older one while the
                -- newer one's transaction is still open cannot lose it (see Queries/PictureGrid.cs).
                CREATE TABLE picture_grid_dirty (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, cell int NOT NULL);

                INSERT INTO picture_grid (id, geom, nb_pictures, nb_360_pictures, nb_flat_pictures)
                SELECT c.cell,
                       ST_Transform(ST_SetSRID(ST_MakePoint(((c.cell / 1800) - 1800 + 0.5) / 10.0,
                           least(greatest(((c.cell % 1800) - 900 + 0.5) / 10.0, -85.0), 85.0)), 4326), 3857),
                       c.nb, c.nb360, c.nbflat
                FROM (
                    SELECT picture_grid_cell(p.location) AS cell, count(*)::int AS nb,
                           (count(*) FILTER (WHERE p.kind = 'equirectangular'))::int AS nb360,
                           (count(*) FILTER (WHERE p.kind = 'flat'))::int AS nbflat
                    FROM pictures p
                    JOIN sequences s ON s.id = p.sequence_id
                    WHERE p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL AND NOT p.license_filtered
                      AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL AND NOT s.license_filtered
                    GROUP BY 1) c;

                CREATE FUNCTION picture_grid_pictures_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO picture_grid_dirty (cell)
                    SELECT DISTINCT picture_grid_cell(n.location) FROM new_rows n
                    WHERE n.visibility = 'anyone' AND n.status = 'ready' AND n.deleted_at IS NULL AND NOT n.license_filtered;
                    RETURN NULL;
                END $$;

                CREATE FUNCTION picture_grid_pictures_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO picture_grid_dirty (cell)
                    SELECT DISTINCT picture_grid_cell(o.location) FROM old_rows o
                    WHERE o.visibility = 'anyone' AND o.status = 'ready' AND o.deleted_at IS NULL AND NOT o.license_filtered;
                    RETURN NULL;
                END $$;

                -- Only rows whose place in the count may have changed: counted before or after, and something the count
                -- depends on differs (the sequence's own state is read when the cell is recounted).
                CREATE FUNCTION picture_grid_pictures_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO picture_grid_dirty (cell)
                    SELECT c.cell FROM (
                        SELECT picture_grid_cell(o.location) AS old_cell, picture_grid_cell(n.location) AS new_cell,
                               (o.visibility = 'anyone' AND o.status = 'ready' AND o.deleted_at IS NULL AND NOT o.license_filtered) AS was_counted,
                               (n.visibility = 'anyone' AND n.status = 'ready' AND n.deleted_at IS NULL AND NOT n.license_filtered) AS is_counted,
                               o.kind IS DISTINCT FROM n.kind OR o.sequence_id IS DISTINCT FROM n.sequence_id AS moved
                        FROM old_rows o JOIN new_rows n ON n.id = o.id) t
                    CROSS JOIN LATERAL (VALUES (CASE WHEN t.was_counted THEN t.old_cell END), (CASE WHEN t.is_counted THEN t.new_cell END)) c(cell)
                    WHERE c.cell IS NOT NULL AND (t.was_counted <> t.is_counted OR t.old_cell <> t.new_cell OR t.moved)
                    GROUP BY c.cell;
                    RETURN NULL;
                END $$;

                CREATE FUNCTION picture_grid_sequences_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO picture_grid_dirty (cell)
                    SELECT DISTINCT picture_grid_cell(p.location)
                    FROM old_rows o JOIN new_rows n ON n.id = o.id
                    JOIN pictures p ON p.sequence_id = n.id
                    WHERE (o.visibility = 'anyone' AND o.status = 'ready' AND o.deleted_at IS NULL AND NOT o.license_filtered)
                          IS DISTINCT FROM (n.visibility = 'anyone' AND n.status = 'ready' AND n.deleted_at IS NULL AND NOT n.license_filtered)
                      AND p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL AND NOT p.license_filtered;
                    RETURN NULL;
                END $$;

                CREATE TRIGGER picture_grid_inserted AFTER INSERT ON pictures REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION picture_grid_pictures_inserted();
                CREATE TRIGGER picture_grid_updated AFTER UPDATE ON pictures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION picture_grid_pictures_updated();
                CREATE TRIGGER picture_grid_deleted AFTER DELETE ON pictures REFERENCING OLD TABLE AS old_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION picture_grid_pictures_deleted();
                CREATE TRIGGER picture_grid_sequences_updated AFTER UPDATE ON sequences REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION picture_grid_sequences_updated();
                ALTER TABLE pictures ENABLE ALWAYS TRIGGER picture_grid_inserted;
                ALTER TABLE pictures ENABLE ALWAYS TRIGGER picture_grid_updated;
                ALTER TABLE pictures ENABLE ALWAYS TRIGGER picture_grid_deleted;
                ALTER TABLE sequences ENABLE ALWAYS TRIGGER picture_grid_sequences_updated;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER picture_grid_inserted ON pictures;
                DROP TRIGGER picture_grid_updated ON pictures;
                DROP TRIGGER picture_grid_deleted ON pictures;
                DROP TRIGGER picture_grid_sequences_updated ON sequences;
                DROP FUNCTION picture_grid_pictures_inserted();
                DROP FUNCTION picture_grid_pictures_updated();
                DROP FUNCTION picture_grid_pictures_deleted();
                DROP FUNCTION picture_grid_sequences_updated();
                DROP TABLE picture_grid_dirty;
                DROP TABLE picture_grid;
                DROP FUNCTION picture_grid_cell(geometry);
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
    }
}
