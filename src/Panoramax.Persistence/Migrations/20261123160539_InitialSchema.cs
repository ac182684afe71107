using System;
using Microsoft.EntityFrameworkCore.Migrations;
using NetTopologySuite.Geometries;

#nullable disable

namespace Panoramax.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:postgis", ",,");

            migrationBuilder.CreateTable(
                name: "instances",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    base_url = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    public_key = table.Column<byte[]>(type: "bytea", nullable: true),
                    is_self = table.Column<bool>(type: "boolean", nullable: false),
                    trust = table.Column<string>(type: "text", nullable: false),
                    last_seq = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_instances", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "accounts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    origin_instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    email = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    password_hash = table.Column<string>(type: "text", nullable: true),
                    role = table.Column<string>(type: "text", nullable: false),
                    is_default = table.Column<bool>(type: "boolean", nullable: false),
                    default_visibility = table.Column<string>(type: "text", nullable: false),
                    default_license = table.Column<string>(type: "text", nullable: true),
                    collaborative_metadata = table.Column<bool>(type: "boolean", nullable: true),
                    tos_accepted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    failed_login_count = table.Column<int>(type: "integer", nullable: false),
                    lockout_ends_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_accounts", x => x.id);
                    table.ForeignKey(
                        name: "fk_accounts_instances_origin_instance_id",
                        column: x => x.origin_instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "change_log",
                columns: table => new
                {
                    origin_instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false),
                    entity_kind = table.Column<string>(type: "text", nullable: false),
                    entity_id = table.Column<Guid>(type: "uuid", nullable: false),
                    op = table.Column<string>(type: "text", nullable: false),
                    entity_version = table.Column<long>(type: "bigint", nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: true),
                    payload_hash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    prev_hash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    signature = table.Column<byte[]>(type: "bytea", maxLength: 64, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_change_log", x => new { x.origin_instance_id, x.seq });
                    table.ForeignKey(
                        name: "fk_change_log_instances_origin_instance_id",
                        column: x => x.origin_instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "upload_sets",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    origin_instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    title = table.Column<string>(type: "character varying(250)", maxLength: 250, nullable: false),
                    estimated_file_count = table.Column<int>(type: "integer", nullable: true),
                    sort_method = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    no_split = table.Column<bool>(type: "boolean", nullable: false),
                    split_distance_m = table.Column<int>(type: "integer", nullable: true),
                    split_time_seconds = table.Column<double>(type: "double precision", nullable: true),
                    no_deduplication = table.Column<bool>(type: "boolean", nullable: false),
                    duplicate_distance_m = table.Column<double>(type: "double precision", nullable: true),
                    duplicate_rotation_deg = table.Column<int>(type: "integer", nullable: true),
                    relative_heading = table.Column<int>(type: "integer", nullable: true),
                    visibility = table.Column<string>(type: "text", nullable: true),
                    metadata = table.Column<string>(type: "jsonb", nullable: false),
                    semantics = table.Column<string>(type: "jsonb", nullable: false),
                    user_agent = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    completed = table.Column<bool>(type: "boolean", nullable: false),
                    dispatched = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_upload_sets", x => x.id);
                    table.ForeignKey(
                        name: "fk_upload_sets_accounts_account_id",
                        column: x => x.account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_upload_sets_instances_origin_instance_id",
                        column: x => x.origin_instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "sequences",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    origin_instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    upload_set_id = table.Column<Guid>(type: "uuid", nullable: true),
                    title = table.Column<string>(type: "character varying(250)", maxLength: 250, nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    visibility = table.Column<string>(type: "text", nullable: false),
                    license = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    sorted_by = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    upload_software = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    user_agent = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    semantics = table.Column<string>(type: "jsonb", nullable: false),
                    geometry = table.Column<LineString>(type: "geometry(LineString,4326)", nullable: true),
                    bbox = table.Column<Polygon>(type: "geometry(Polygon,4326)", nullable: true),
                    min_captured_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    max_captured_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    picture_count = table.Column<int>(type: "integer", nullable: false),
                    length_km = table.Column<double>(type: "double precision", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: true),
                    camera_model = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    gps_accuracy = table.Column<double>(type: "double precision", nullable: true),
                    horizontal_pixel_density = table.Column<int>(type: "integer", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sequences", x => x.id);
                    table.ForeignKey(
                        name: "fk_sequences_accounts_account_id",
                        column: x => x.account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_sequences_instances_origin_instance_id",
                        column: x => x.origin_instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_sequences_upload_sets_upload_set_id",
                        column: x => x.upload_set_id,
                        principalTable: "upload_sets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "pictures",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    origin_instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    sequence_id = table.Column<Guid>(type: "uuid", nullable: true),
                    rank = table.Column<int>(type: "integer", nullable: false),
                    upload_set_id = table.Column<Guid>(type: "uuid", nullable: true),
                    location = table.Column<Point>(type: "geometry(Point,4326)", nullable: false),
                    captured_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    capture_utc_offset_minutes = table.Column<short>(type: "smallint", nullable: true),
                    heading = table.Column<double>(type: "double precision", nullable: true),
                    heading_from_user = table.Column<bool>(type: "boolean", nullable: false),
                    pitch = table.Column<double>(type: "double precision", nullable: true),
                    roll = table.Column<double>(type: "double precision", nullable: true),
                    kind = table.Column<string>(type: "text", nullable: false),
                    camera_make = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    camera_model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    focal_length_mm = table.Column<double>(type: "double precision", nullable: true),
                    field_of_view_deg = table.Column<double>(type: "double precision", nullable: true),
                    width = table.Column<int>(type: "integer", nullable: false),
                    height = table.Column<int>(type: "integer", nullable: false),
                    gps_accuracy_m = table.Column<double>(type: "double precision", nullable: true),
                    horizontal_pixel_density = table.Column<int>(type: "integer", nullable: true),
                    content_sha256 = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    original_file_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    original_file_size = table.Column<long>(type: "bigint", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    visibility = table.Column<string>(type: "text", nullable: false),
                    license = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    blurred = table.Column<bool>(type: "boolean", nullable: false),
                    blur_source = table.Column<string>(type: "text", nullable: false),
                    exif = table.Column<string>(type: "jsonb", nullable: false),
                    semantics = table.Column<string>(type: "jsonb", nullable: false),
                    hd_key = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    original_key = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    sd_key = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    thumb_key = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    tiles_prefix = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    tile_cols = table.Column<int>(type: "integer", nullable: true),
                    tile_rows = table.Column<int>(type: "integer", nullable: true),
                    process_error = table.Column<string>(type: "text", nullable: true),
                    process_attempts = table.Column<int>(type: "integer", nullable: false),
                    processed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pictures", x => x.id);
                    table.ForeignKey(
                        name: "fk_pictures_accounts_account_id",
                        column: x => x.account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_pictures_instances_origin_instance_id",
                        column: x => x.origin_instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_pictures_sequences_sequence_id",
                        column: x => x.sequence_id,
                        principalTable: "sequences",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_pictures_upload_sets_upload_set_id",
                        column: x => x.upload_set_id,
                        principalTable: "upload_sets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "reports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    issue = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    picture_id = table.Column<Guid>(type: "uuid", nullable: true),
                    sequence_id = table.Column<Guid>(type: "uuid", nullable: true),
                    reporter_account_id = table.Column<Guid>(type: "uuid", nullable: true),
                    reporter_email = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    reporter_comments = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    resolver_account_id = table.Column<Guid>(type: "uuid", nullable: true),
                    resolver_comments = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reports", x => x.id);
                    table.ForeignKey(
                        name: "fk_reports_accounts_reporter_account_id",
                        column: x => x.reporter_account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_reports_accounts_resolver_account_id",
                        column: x => x.resolver_account_id,
                        principalTable: "accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_reports_pictures_picture_id",
                        column: x => x.picture_id,
                        principalTable: "pictures",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_reports_sequences_sequence_id",
                        column: x => x.sequence_id,
                        principalTable: "sequences",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "upload_set_files",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    upload_set_id = table.Column<Guid>(type: "uuid", nullable: false),
                    picture_id = table.Column<Guid>(type: "uuid", nullable: true),
                    file_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    content_md5 = table.Column<string>(type: "character(32)", fixedLength: true, maxLength: 32, nullable: true),
                    content_sha256 = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    inserted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    rejection_reason = table.Column<string>(type: "text", nullable: true),
                    rejection_message = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    rejection_details = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_upload_set_files", x => x.id);
                    table.ForeignKey(
                        name: "fk_upload_set_files_pictures_picture_id",
                        column: x => x.picture_id,
                        principalTable: "pictures",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_upload_set_files_upload_sets_upload_set_id",
                        column: x => x.upload_set_id,
                        principalTable: "upload_sets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_accounts_email",
                table: "accounts",
                column: "email",
                unique: true,
                filter: "email IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_accounts_is_default",
                table: "accounts",
                column: "is_default",
                unique: true,
                filter: "is_default");

            migrationBuilder.CreateIndex(
                name: "ix_accounts_name",
                table: "accounts",
                column: "name");

            migrationBuilder.CreateIndex(
                name: "ix_accounts_origin_instance_id",
                table: "accounts",
                column: "origin_instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_change_log_created_at",
                table: "change_log",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_change_log_entity_kind_entity_id_seq",
                table: "change_log",
                columns: new[] { "entity_kind", "entity_id", "seq" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_base_url",
                table: "instances",
                column: "base_url",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_instances_is_self",
                table: "instances",
                column: "is_self",
                unique: true,
                filter: "is_self");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_account_id_content_sha256",
                table: "pictures",
                columns: new[] { "account_id", "content_sha256" });

            migrationBuilder.CreateIndex(
                name: "ix_pictures_captured_at",
                table: "pictures",
                column: "captured_at");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_location",
                table: "pictures",
                column: "location")
                .Annotation("Npgsql:IndexMethod", "gist");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_origin_instance_id",
                table: "pictures",
                column: "origin_instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_semantics",
                table: "pictures",
                column: "semantics")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "jsonb_path_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_pictures_sequence_id_rank",
                table: "pictures",
                columns: new[] { "sequence_id", "rank" },
                unique: true,
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_status",
                table: "pictures",
                column: "status",
                filter: "status IN ('waiting-for-process', 'preparing', 'waiting-for-delete')");

            migrationBuilder.CreateIndex(
                name: "ix_pictures_updated_at_id",
                table: "pictures",
                columns: new[] { "updated_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_pictures_upload_set_id",
                table: "pictures",
                column: "upload_set_id");

            migrationBuilder.CreateIndex(
                name: "ix_reports_picture_id",
                table: "reports",
                column: "picture_id");

            migrationBuilder.CreateIndex(
                name: "ix_reports_reporter_account_id",
                table: "reports",
                column: "reporter_account_id");

            migrationBuilder.CreateIndex(
                name: "ix_reports_resolver_account_id",
                table: "reports",
                column: "resolver_account_id");

            migrationBuilder.CreateIndex(
                name: "ix_reports_sequence_id",
                table: "reports",
                column: "sequence_id");

            migrationBuilder.CreateIndex(
                name: "ix_reports_status_created_at",
                table: "reports",
                columns: new[] { "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sequences_account_id_created_at",
                table: "sequences",
                columns: new[] { "account_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sequences_bbox",
                table: "sequences",
                column: "bbox")
                .Annotation("Npgsql:IndexMethod", "gist");

            migrationBuilder.CreateIndex(
                name: "ix_sequences_created_at_id",
                table: "sequences",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_sequences_geometry",
                table: "sequences",
                column: "geometry")
                .Annotation("Npgsql:IndexMethod", "gist");

            migrationBuilder.CreateIndex(
                name: "ix_sequences_min_captured_at_max_captured_at",
                table: "sequences",
                columns: new[] { "min_captured_at", "max_captured_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sequences_origin_instance_id",
                table: "sequences",
                column: "origin_instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_sequences_semantics",
                table: "sequences",
                column: "semantics")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "jsonb_path_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_sequences_updated_at_id",
                table: "sequences",
                columns: new[] { "updated_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_sequences_upload_set_id",
                table: "sequences",
                column: "upload_set_id");

            migrationBuilder.CreateIndex(
                name: "ix_upload_set_files_picture_id",
                table: "upload_set_files",
                column: "picture_id");

            migrationBuilder.CreateIndex(
                name: "ix_upload_set_files_upload_set_id_content_sha256",
                table: "upload_set_files",
                columns: new[] { "upload_set_id", "content_sha256" });

            migrationBuilder.CreateIndex(
                name: "ix_upload_set_files_upload_set_id_file_name",
                table: "upload_set_files",
                columns: new[] { "upload_set_id", "file_name" });

            migrationBuilder.CreateIndex(
                name: "ix_upload_sets_account_id_created_at",
                table: "upload_sets",
                columns: new[] { "account_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_upload_sets_origin_instance_id",
                table: "upload_sets",
                column: "origin_instance_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "change_log");

            migrationBuilder.DropTable(
                name: "reports");

            migrationBuilder.DropTable(
                name: "upload_set_files");

            migrationBuilder.DropTable(
                name: "pictures");

            migrationBuilder.DropTable(
                name: "sequences");

            migrationBuilder.DropTable(
                name: "upload_sets");

            migrationBuilder.DropTable(
                name: "accounts");

            migrationBuilder.DropTable(
                name: "instances");
        }
    }
}
