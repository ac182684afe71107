using Microsoft.Extensions.DependencyInjection;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Pictures;

/// <summary>
/// An instance with pictures in every state the file routes distinguish, inserted directly in its database,
/// with real JPEG files put in its own blob store (filesystem by default).
/// </summary>
public class PictureFilesInstance : TestInstance, IAsyncLifetime
{
    private static readonly GeometryFactory Geo = new(new PrecisionModel(), 4326);
    private readonly Dictionary<string, Guid> _ids = [];

    public Guid AccountId { get; } = Guid.NewGuid();
    public Guid PublicSequence { get; } = Guid.NewGuid();
    public Guid ProcessingSequence { get; } = Guid.NewGuid();
    public Guid HiddenSequence { get; } = Guid.NewGuid();

    /// <summary>Ids of the seeded pictures by name (public-flat, public-360, processing, owner-only, ...).</summary>
    public Guid this[string name] => _ids[name];

    public static string SharedJpeg(string name) => TestPaths.SharedData("a-exif-samples-arezzo", name);

    async Task IAsyncLifetime.InitializeAsync()
    {
        await BeforeStartAsync();
        await InitializeAsync();
        await SeedAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await AfterStopAsync();
    }

    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    private async Task SeedAsync()
    {
        var db = Services.GetRequiredService<NpgsqlDataSource>();
        var store = Services.GetRequiredService<IBlobStore>();
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var cmd = db.CreateCommand("""
            INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
            VALUES ($1, (SELECT id FROM instances WHERE is_self), 'photographer', 'user', false, 'anyone', 0, $2, $2)
            """))
        {
            cmd.Parameters.Add(new() { Value = AccountId });
            cmd.Parameters.Add(new() { Value = now });
            await cmd.ExecuteNonQueryAsync();
        }
        await InsertSequenceAsync(db, PublicSequence, "ready", "anyone", now);
        await InsertSequenceAsync(db, ProcessingSequence, "preparing", "anyone", now);
        await InsertSequenceAsync(db, HiddenSequence, "ready", "owner-only", now);

        // Rank 1 of the public sequence is hidden: the collection thumbnail must skip it.
        await AddAsync(db, store, "owner-only", PublicSequence, 1, visibility: "owner-only");
        await AddAsync(db, store, "public-flat", PublicSequence, 2);
        await AddAsync(db, store, "public-360", PublicSequence, 3, equirectangular: true);
        await AddAsync(db, store, "processing", PublicSequence, 4, status: "waiting-for-process");
        await AddAsync(db, store, "deleted", PublicSequence, 5, deleted: true);
        await AddAsync(db, store, "missing-file", PublicSequence, 6, putFiles: false);
        await AddAsync(db, store, "in-processing-sequence", ProcessingSequence, 1);
        await AddAsync(db, store, "in-hidden-sequence", HiddenSequence, 1);
        await AddAsync(db, store, "logged-only", PublicSequence, 7, visibility: "logged-only");
    }

    private async Task InsertSequenceAsync(NpgsqlDataSource db, Guid id, string status, string visibility, DateTimeOffset now)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO sequences (id, origin_instance_id, account_id, title, status, visibility, sorted_by, upload_software, semantics,
                                   picture_count, length_km, created_at, updated_at, version)
            VALUES ($1, (SELECT id FROM instances WHERE is_self), $2, 'Arezzo', $3, $4, '+gpsdate', 'cli', '[]', 0, 0, $5, $5, 1)
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = AccountId });
        cmd.Parameters.Add(new() { Value = status });
        cmd.Parameters.Add(new() { Value = visibility });
        cmd.Parameters.Add(new() { Value = now });
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task AddAsync(
        NpgsqlDataSource db, IBlobStore store, string name, Guid sequence, int rank,
        string status = "ready", string visibility = "anyone", bool equirectangular = false, bool deleted = false, bool putFiles = true)
    {
        var id = Guid.NewGuid();
        _ids[name] = id;
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, rank, TimeSpan.Zero);
        await using (var cmd = db.CreateCommand("""
            INSERT INTO pictures (id, origin_instance_id, account_id, sequence_id, rank, location, captured_at, heading, heading_from_user,
                                  kind, width, height, content_sha256, original_file_name, original_file_size, status, visibility,
                                  blurred, blur_source, exif, semantics, process_attempts, created_at, updated_at, deleted_at, version,
                                  hd_key, sd_key, thumb_key, tiles_prefix, tile_cols, tile_rows)
            VALUES ($1, (SELECT id FROM instances WHERE is_self), $2, $3, $4, $5, $6, 90, true,
                    $7, $8, $9, $10, 'DSCN0010.jpg', 100000, $11, $12,
                    true, 'instance', '{}', '[]', 1, $6, $6, $13, 1,
                    $14, $15, $16, $17, $18, $19)
            """))
        {
            cmd.Parameters.Add(new() { Value = id });
            cmd.Parameters.Add(new() { Value = AccountId });
            cmd.Parameters.Add(new() { Value = sequence });
            cmd.Parameters.Add(new() { Value = rank });
            cmd.Parameters.Add(new() { Value = Geo.CreatePoint(new Coordinate(11.88 + rank * 0.0001, 43.46)), NpgsqlDbType = NpgsqlDbType.Geometry });
            cmd.Parameters.Add(new() { Value = now });
            cmd.Parameters.Add(new() { Value = equirectangular ? "equirectangular" : "flat" });
            cmd.Parameters.Add(new() { Value = equirectangular ? 5760 : 640 });
            cmd.Parameters.Add(new() { Value = equirectangular ? 2880 : 480 });
            cmd.Parameters.Add(new() { Value = id.ToByteArray().Concat(id.ToByteArray()).ToArray() });
            cmd.Parameters.Add(new() { Value = status });
            cmd.Parameters.Add(new() { Value = visibility });
            cmd.Parameters.Add(new() { Value = deleted ? now : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new() { Value = StorageKeys.Hd(id) });
            cmd.Parameters.Add(new() { Value = StorageKeys.Sd(id) });
            cmd.Parameters.Add(new() { Value = StorageKeys.Thumb(id) });
            cmd.Parameters.Add(new() { Value = equirectangular ? StorageKeys.TilesPrefix(id) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
            cmd.Parameters.Add(new() { Value = equirectangular ? 8 : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            cmd.Parameters.Add(new() { Value = equirectangular ? 4 : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            await cmd.ExecuteNonQueryAsync();
        }
        if (!putFiles)
        {
            return;
        }
        await PutFileAsync(store, StorageKeys.Hd(id), "DSCN0010.jpg");
        await PutFileAsync(store, StorageKeys.Sd(id), "DSCN0012.jpg");
        await PutFileAsync(store, StorageKeys.Thumb(id), "DSCN0021.jpg");
        if (equirectangular)
        {
            await PutFileAsync(store, StorageKeys.Tile(id, 0, 0), "DSCN0025.jpg");
            await PutFileAsync(store, StorageKeys.Tile(id, 7, 3), "DSCN0027.jpg");
        }
    }

    private static async Task PutFileAsync(IBlobStore store, string key, string sharedFile)
    {
        await using var file = File.OpenRead(SharedJpeg(sharedFile));
        await store.PutAsync(key, file, "image/jpeg", default);
    }
}

/// <summary>The same instance storing its files in S3 (s3rver), configured only through Panoramax:Storage settings.</summary>
public class S3PictureFilesInstance : PictureFilesInstance
{
    public S3rverServer S3 { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Storage:Kind", "s3"),
        new("Panoramax:Storage:S3:Endpoint", $"http://{S3.Endpoint}"),
        new("Panoramax:Storage:S3:AccessKey", S3rverServer.AccessKey),
        new("Panoramax:Storage:S3:SecretKey", S3rverServer.SecretKey),
        new("Panoramax:Storage:S3:Bucket", "panoramax-pictures"),
    ];

    protected override Task BeforeStartAsync() => S3.InitializeAsync();

    protected override Task AfterStopAsync() => S3.DisposeAsync();
}

/// <summary>
/// The S3 instance with direct downloads on: public files are redirected to presigned links signed for another
/// host name of the store (<c>localhost</c> instead of the <c>127.0.0.1</c> the instance talks to), as a deployment
/// whose store is reached at an internal name by the instance and at a public one by browsers.
/// </summary>
public sealed class S3DirectDownloadPictureFilesInstance : S3PictureFilesInstance
{
    public string PublicEndpoint => $"http://localhost:{S3.Port}";

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        .. base.Settings,
        new("Panoramax:Storage:S3:DirectDownloads", "true"),
        new("Panoramax:Storage:S3:PublicEndpoint", PublicEndpoint),
    ];
}
