using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class BlurCorrections : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "picture_blur_regions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    picture_id = table.Column<Guid>(type: "uuid", nullable: false),
                    x1 = table.Column<int>(type: "integer", nullable: false),
                    y1 = table.Column<int>(type: "integer", nullable: false),
                    x2 = table.Column<int>(type: "integer", nullable: false),
                    y2 = table.Column<int>(type: "integer", nullable: false),
                    added_by_account_id = table.Column<Guid>(type: "uuid", nullable: true),
                    report_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_picture_blur_regions", x => x.id);
                    table.ForeignKey(
                        name: "fk_picture_blur_regions_accounts_added_by_account_id",
                        column: x => x.added_by_account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_picture_blur_regions_pictures_picture_id",
                        column: x => x.picture_id,
                        principalTable: "pictures",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_picture_blur_regions_added_by_account_id",
                table: "picture_blur_regions",
                column: "added_by_account_id");

            migrationBuilder.CreateIndex(
                name: "ix_picture_blur_regions_picture_id_created_at",
                table: "picture_blur_regions",
                columns: new[] { "picture_id", "created_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "picture_blur_regions");
        }
    }
}
