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
            // The retention floor of each origin (federation spec §7) is 1 + the highest pruned seq: a backward scan of this index.
            migrationBuilder.CreateIndex(
                name: "ix_change_log_pruned",
                table: "change_log",
                columns: new[] { "origin_instance_id", "seq" },
                filter: "op = 'upsert' AND payload IS NULL AND sealed_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_change_log_pruned",
                table: "change_log");
        }
    }
}
