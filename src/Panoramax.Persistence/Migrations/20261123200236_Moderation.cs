using System;
using Microsoft.EntityFrameworkCore.Migrations;
using NetTopologySuite.Geometries;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Moderation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "excluded_areas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: true),
                    label = table.Column<string>(type: "character varying(250)", maxLength: 250, nullable: true),
                    is_public = table.Column<bool>(type: "boolean", nullable: false),
                    geometry = table.Column<Geometry>(type: "geometry(Geometry,4326)", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_excluded_areas", x => x.id);
                    table.ForeignKey(
                        name: "fk_excluded_areas_accounts_account_id",
                        column: x => x.account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "moderation_actions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    actor_account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    picture_id = table.Column<Guid>(type: "uuid", nullable: true),
                    sequence_id = table.Column<Guid>(type: "uuid", nullable: true),
                    report_id = table.Column<Guid>(type: "uuid", nullable: true),
                    reason = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_moderation_actions", x => x.id);
                    table.ForeignKey(
                        name: "fk_moderation_actions_accounts_actor_account_id",
                        column: x => x.actor_account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_excluded_areas_account_id",
                table: "excluded_areas",
                column: "account_id");

            migrationBuilder.CreateIndex(
                name: "ix_excluded_areas_geometry",
                table: "excluded_areas",
                column: "geometry")
                .Annotation("Npgsql:IndexMethod", "gist");

            migrationBuilder.CreateIndex(
                name: "ix_moderation_actions_actor_account_id",
                table: "moderation_actions",
                column: "actor_account_id");

            migrationBuilder.CreateIndex(
                name: "ix_moderation_actions_picture_id_created_at",
                table: "moderation_actions",
                columns: new[] { "picture_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_moderation_actions_sequence_id_created_at",
                table: "moderation_actions",
                columns: new[] { "sequence_id", "created_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "excluded_areas");

            migrationBuilder.DropTable(
                name: "moderation_actions");
        }
    }
}
