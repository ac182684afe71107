using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <summary>
    /// The trigger noting the grid cells of sequences whose visibility changed joined both transition tables and the
    /// pictures in one statement, planned once per connection: a plan made while <c>pictures</c> was small (a fresh
    /// instance, a peer starting its first copy) walked every picture on each later sequence update, the state filter
    /// being applied last. It now finds the changed sequences first (usually none) and reads their pictures by
    /// <c>sequence_id</c> with a statement planned at each call.
    /// </summary>
    public partial class PictureGridSequenceTriggerPlannedPerCall : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION picture_grid_sequences_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    changed uuid[];
                BEGIN
                    SELECT array_agg(n.id) INTO changed
                    FROM old_rows o JOIN new_rows n ON n.id = o.id
                    WHERE (o.visibility = 'anyone' AND o.status = 'ready' AND o.deleted_at IS NULL AND NOT o.license_filtered)
                          IS DISTINCT FROM (n.visibility = 'anyone' AND n.status = 'ready' AND n.deleted_at IS NULL AND NOT n.license_filtered);
                    IF changed IS NULL THEN
                        RETURN NULL;
                    END IF;
                    EXECUTE $sql$
                        INSERT INTO picture_grid_dirty (cell)
                        SELECT DISTINCT picture_grid_cell(p.location) FROM pictures p
                        WHERE p.sequence_id = ANY ($1)
                          AND p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL AND NOT p.license_filtered
                        $sql$ USING changed;
                    RETURN NULL;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION picture_grid_sequences_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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
                """);
        }
    }
}
