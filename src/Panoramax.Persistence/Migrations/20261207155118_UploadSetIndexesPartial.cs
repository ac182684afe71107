using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class UploadSetIndexesPartial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_sequences_upload_set_id",
                table: "sequences");

            migrationBuilder.DropIndex(
                name: "ix_pictures_upload_set_id",
                table: "pictures");

            migrationBuilder.CreateIndex(
                name: "ix_sequences_upload_set_id",
                table: "sequences",
                column: "upload_set_id",
                filter: "upload_set_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_upload_set_id",
                table: "pictures",
                column: "upload_set_id",
                filter: "upload_set_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_sequences_upload_set_id",
                table: "sequences");

            migrationBuilder.DropIndex(
                name: "ix_pictures_upload_set_id",
                table: "pictures");

            migrationBuilder.CreateIndex(
                name: "ix_sequences_upload_set_id",
                table: "sequences",
                column: "upload_set_id");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_upload_set_id",
                table: "pictures",
                column: "upload_set_id");
        }
    }
}
