using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Federation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "remote_assets",
                table: "pictures",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "federation_url",
                table: "instances",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "is_peer",
                table: "instances",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "last_error",
                table: "instances",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_sync_at",
                table: "instances",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "rejected_entries",
                table: "instances",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AlterColumn<string>(
                name: "payload",
                table: "change_log",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "entry_hash",
                table: "change_log",
                type: "bytea",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "sealed_at",
                table: "change_log",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "peer_cursors",
                columns: table => new
                {
                    peer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    origin_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false),
                    peer_max_seq = table.Column<long>(type: "bigint", nullable: false),
                    caught_up_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_peer_cursors", x => new { x.peer_id, x.origin_id });
                    table.ForeignKey(
                        name: "fk_peer_cursors_instances_origin_id",
                        column: x => x.origin_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_peer_cursors_instances_peer_id",
                        column: x => x.peer_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_change_log_unsealed",
                table: "change_log",
                columns: new[] { "origin_instance_id", "seq" },
                filter: "sealed_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_peer_cursors_origin_id",
                table: "peer_cursors",
                column: "origin_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "peer_cursors");

            migrationBuilder.DropIndex(
                name: "ix_change_log_unsealed",
                table: "change_log");

            migrationBuilder.DropColumn(
                name: "remote_assets",
                table: "pictures");

            migrationBuilder.DropColumn(
                name: "federation_url",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "is_peer",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "last_error",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "last_sync_at",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "rejected_entries",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "entry_hash",
                table: "change_log");

            migrationBuilder.DropColumn(
                name: "sealed_at",
                table: "change_log");

            migrationBuilder.AlterColumn<string>(
                name: "payload",
                table: "change_log",
                type: "jsonb",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);
        }
    }
}
