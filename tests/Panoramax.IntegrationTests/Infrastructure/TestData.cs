using Npgsql;
using NpgsqlTypes;
using Panoramax.Persistence.Sequences;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>A picture to seed: where, when, which way, and what it is.</summary>
public sealed record SeedPicture(double Lon, double Lat, DateTimeOffset CapturedAt, double? Heading = null)
{
    public string Kind { get; init; } = "flat";
    public string Status { get; init; } = "ready";
    public string Visibility { get; init; } = "anyone";
    public string? CameraMake { get; init; } = "NIKON";
    public string? CameraModel { get; init; } = "COOLPIX P6000";
    public string Semantics { get; init; } = "[]";
    public int Width { get; init; } = 640;
    public int Height { get; init; } = 480;
}

public sealed record SeededSequence(Guid Id, Guid AccountId, IReadOnlyList<Guid> PictureIds);

/// <summary>
/// Seeds accounts, sequences and pictures straight into an instance's database (what ingest will do for real),
/// then recomputes sequence aggregates with the product's own <see cref="SequenceAggregates"/>.
/// </summary>
public static class TestData
{
    public static async Task<Guid> AccountAsync(TestInstance instance, string name, bool admin = false)
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        var id = Guid.NewGuid();
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
            VALUES (@id, (SELECT id FROM instances WHERE is_self), @name, @role, false, 'anyone', 0, now(), now())
            """, conn);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("role", admin ? "admin" : "user");
        await cmd.ExecuteNonQueryAsync();
        return id;
    }

    public static async Task<SeededSequence> SequenceAsync(
        TestInstance instance, Guid accountId, IReadOnlyList<SeedPicture> pictures,
        string title = "Test sequence", string status = "ready", string visibility = "anyone", string semantics = "[]",
        DateTimeOffset? createdAt = null)
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var seqId = Guid.NewGuid();
        var created = createdAt ?? TimeProvider.System.GetUtcNow();
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO sequences (id, origin_instance_id, account_id, title, status, visibility, sorted_by, upload_software, semantics,
                                   picture_count, length_km, created_at, updated_at, version)
            VALUES (@id, (SELECT id FROM instances WHERE is_self), @account, @title, @status, @visibility, '+gpsdate', 'cli', @semantics::jsonb,
                    0, 0, @created, @created, 1)
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("id", seqId);
            cmd.Parameters.AddWithValue("account", accountId);
            cmd.Parameters.AddWithValue("title", title);
            cmd.Parameters.AddWithValue("status", status);
            cmd.Parameters.AddWithValue("visibility", visibility);
            cmd.Parameters.AddWithValue("semantics", semantics);
            cmd.Parameters.AddWithValue("created", created);
            await cmd.ExecuteNonQueryAsync();
        }
        var ids = new List<Guid>();
        var rank = 0;
        foreach (var p in pictures)
        {
            var id = Guid.NewGuid();
            ids.Add(id);
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO pictures (id, origin_instance_id, account_id, sequence_id, rank, location, captured_at, capture_utc_offset_minutes,
                    heading, heading_from_user, kind, camera_make, camera_model, field_of_view_deg, width, height, content_sha256,
                    original_file_name, original_file_size, status, visibility, blurred, blur_source, exif, semantics, process_attempts,
                    created_at, updated_at, version, tile_cols, tile_rows)
                VALUES (@id, (SELECT id FROM instances WHERE is_self), @account, @seq, @rank, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326), @ts, 120,
                    @heading, true, @kind, @make, @model, @fov, @w, @h, @sha, @name, 1000, @status, @visibility, true, 'instance',
                    '{"Exif.Image.Make": "NIKON"}'::jsonb, @semantics::jsonb, 1, @created, @created, 1, @cols, @rows)
                """, conn, tx);
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("account", accountId);
            cmd.Parameters.AddWithValue("seq", seqId);
            cmd.Parameters.AddWithValue("rank", ++rank);
            cmd.Parameters.AddWithValue("lon", p.Lon);
            cmd.Parameters.AddWithValue("lat", p.Lat);
            cmd.Parameters.AddWithValue("ts", p.CapturedAt);
            cmd.Parameters.Add(new NpgsqlParameter("heading", NpgsqlDbType.Double) { Value = (object?)p.Heading ?? DBNull.Value });
            cmd.Parameters.AddWithValue("kind", p.Kind);
            cmd.Parameters.Add(new NpgsqlParameter("make", NpgsqlDbType.Varchar) { Value = (object?)p.CameraMake ?? DBNull.Value });
            cmd.Parameters.Add(new NpgsqlParameter("model", NpgsqlDbType.Varchar) { Value = (object?)p.CameraModel ?? DBNull.Value });
            cmd.Parameters.AddWithValue("fov", p.Kind == "equirectangular" ? 360.0 : 70.0);
            cmd.Parameters.AddWithValue("w", p.Width);
            cmd.Parameters.AddWithValue("h", p.Height);
            cmd.Parameters.AddWithValue("sha", id.ToByteArray().Concat(id.ToByteArray()).ToArray());
            cmd.Parameters.AddWithValue("name", $"IMG_{rank:D4}.jpg");
            cmd.Parameters.AddWithValue("status", p.Status);
            cmd.Parameters.AddWithValue("visibility", p.Visibility);
            cmd.Parameters.AddWithValue("semantics", p.Semantics);
            cmd.Parameters.AddWithValue("created", created);
            cmd.Parameters.Add(new NpgsqlParameter("cols", NpgsqlDbType.Integer) { Value = p.Kind == "equirectangular" ? 8 : DBNull.Value });
            cmd.Parameters.Add(new NpgsqlParameter("rows", NpgsqlDbType.Integer) { Value = p.Kind == "equirectangular" ? 4 : DBNull.Value });
            await cmd.ExecuteNonQueryAsync();
        }
        await SequenceAggregates.RefreshAsync(conn, tx, seqId, created, CancellationToken.None);
        await tx.CommitAsync();
        return new SeededSequence(seqId, accountId, ids);
    }

    /// <summary>A straight walk of <paramref name="count"/> pictures ~5 m apart heading north-east, 2 s apart.</summary>
    public static IReadOnlyList<SeedPicture> Walk(double lon, double lat, DateTimeOffset start, int count, double heading = 45, string kind = "flat") =>
        Enumerable.Range(0, count).Select(i => new SeedPicture(lon + i * 0.00005, lat + i * 0.00004, start.AddSeconds(2 * i), heading) { Kind = kind }).ToList();
}
