using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AccountExports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "account_exports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    state = table.Column<string>(type: "text", nullable: false),
                    base_url = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    pictures_done = table.Column<int>(type: "integer", nullable: false),
                    pictures_total = table.Column<int>(type: "integer", nullable: false),
                    blob_key = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    size_bytes = table.Column<long>(type: "bigint", nullable: true),
                    sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    error = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_exports", x => x.id);
                    table.ForeignKey(
                        name: "fk_account_exports_accounts_account_id",
                        column: x => x.account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_account_exports_account_id_created_at",
                table: "account_exports",
                columns: new[] { "account_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_account_exports_expires_at",
                table: "account_exports",
                column: "expires_at",
                filter: "state = 'ready'");

            migrationBuilder.CreateIndex(
                name: "ix_account_exports_pending",
                table: "account_exports",
                column: "account_id",
                unique: true,
                filter: "state IN ('queued', 'running')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "account_exports");
        }
    }
}
