using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ChangeLogRetention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The retention floor of each origin (federation spec §7) is 1 + the highest pruned seq: a backward scan of this
            // partial index. Not in the EF model: EF keeps one index per column list and ix_change_log_unsealed has this one.
            migrationBuilder.Sql("""
                CREATE INDEX ix_change_log_pruned ON change_log (origin_instance_id, seq)
                WHERE op = 'upsert' AND payload IS NULL AND sealed_at IS NOT NULL
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS ix_change_log_pruned");
        }
    }
}
