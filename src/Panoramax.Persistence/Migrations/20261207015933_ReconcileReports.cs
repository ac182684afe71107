using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ReconcileReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "federation_reconcile_reports",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    peer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    origins_compared = table.Column<int>(type: "integer", nullable: false),
                    ranges_compared = table.Column<int>(type: "integer", nullable: false),
                    differing_ranges = table.Column<int>(type: "integer", nullable: false),
                    digest_calls = table.Column<int>(type: "integer", nullable: false),
                    entries_fetched = table.Column<long>(type: "bigint", nullable: false),
                    records_repaired = table.Column<int>(type: "integer", nullable: false),
                    deferred_ranges = table.Column<int>(type: "integer", nullable: false),
                    unrepairable_ranges = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    details = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_federation_reconcile_reports", x => x.id);
                    table.ForeignKey(
                        name: "fk_federation_reconcile_reports_instances_peer_id",
                        column: x => x.peer_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_federation_reconcile_reports_peer_id_finished_at",
                table: "federation_reconcile_reports",
                columns: new[] { "peer_id", "finished_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "federation_reconcile_reports");
        }
    }
}
