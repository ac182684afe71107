using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ChangeLogPayloadLz4 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Sealed payloads (2-3 kB of STAC JSON) are compressed by TOAST on every write and read on every feed
            // pull. lz4 costs a fraction of the default pglz CPU both ways. It applies to rows written from now on;
            // a server built without lz4 keeps pglz (nothing else changes).
            migrationBuilder.Sql("""
                DO $$
                BEGIN
                    ALTER TABLE change_log ALTER COLUMN payload SET COMPRESSION lz4;
                EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
                    RAISE NOTICE 'change_log.payload keeps the default compression: %', SQLERRM;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE change_log ALTER COLUMN payload SET COMPRESSION default");
        }
    }
}
