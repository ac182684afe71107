using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using NetTopologySuite.Geometries;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.UploadSets;
using Panoramax.Imaging;
using Panoramax.Persistence;
using Panoramax.Persistence.Jobs;

namespace Panoramax.IntegrationTests.Processing;

/// <summary>
/// Does what the upload API does according to the ingest contract (§1), without HTTP: the raw file at
/// <see cref="StorageKeys.Upload"/>, then in one transaction the upload_set_files row, the picture row and its
/// process job; completion sets <c>completed</c> and enqueues dispatch. Works on any instance's database and store
/// (an in-process test host or a real server process).
/// </summary>
public sealed class UploadWriter : IAsyncDisposable
{
    private static readonly GeometryFactory Geo = new(new PrecisionModel(), 4326);
    private readonly NpgsqlDataSource _dataSource;
    private readonly DbContextOptions<PanoramaxDbContext> _options;
    private readonly IBlobStore _store;
    private readonly PictureMetadataReader _reader = new(verifyPixelData: false);

    public UploadWriter(string connectionString, IBlobStore store)
    {
        _dataSource = PersistenceExtensions.BuildPanoramaxDataSource(connectionString);
        var b = new DbContextOptionsBuilder<PanoramaxDbContext>();
        b.UsePanoramaxNpgsql(_dataSource);
        _options = b.Options;
        _store = store;
    }

    public NpgsqlDataSource DataSource => _dataSource;

    public PanoramaxDbContext NewDb() => new(_options);

    public async Task<Guid> AccountAsync(string name)
    {
        var id = Guid.NewGuid();
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
            VALUES ($1, (SELECT id FROM instances WHERE is_self), $2, 'user', false, 'anyone', 0, now(), now())
            """);
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = name });
        await cmd.ExecuteNonQueryAsync();
        return id;
    }

    public async Task<Guid> UploadSetAsync(Guid accountId, string title, Action<UploadSet>? configure = null)
    {
        await using var db = NewDb();
        var set = new UploadSet
        {
            Id = Guid.CreateVersion7(),
            OriginInstanceId = await SelfAsync(db),
            AccountId = accountId,
            Title = title,
            UserAgent = "PanoramaxCLI/1.0 (tests)",
            CreatedAt = TimeProvider.System.GetUtcNow(),
            UpdatedAt = TimeProvider.System.GetUtcNow(),
        };
        configure?.Invoke(set);
        db.UploadSets.Add(set);
        await db.SaveChangesAsync();
        return set.Id;
    }

    /// <summary>Adds one accepted file; returns its picture id.</summary>
    /// <param name="putFile">false leaves the upload missing from storage (a store outage) to exercise retries.</param>
    public async Task<Guid> AddFileAsync(Guid uploadSetId, string path, bool isBlurred = false, PictureOverrides? overrides = null, string? fileName = null, bool putFile = true)
    {
        var read = _reader.Read(path, overrides);
        Assert.True(read.IsAccepted, $"{path}: {read.Rejection?.Message}");
        var m = read.Metadata;
        var bytes = await File.ReadAllBytesAsync(path);
        var fileId = Guid.CreateVersion7();
        var key = StorageKeys.Upload(uploadSetId, fileId);
        if (putFile)
        {
            using var content = new MemoryStream(bytes);
            await _store.PutAsync(key, content, "image/jpeg", default);
        }

        await using var db = NewDb();
        var set = await db.UploadSets.AsNoTracking().FirstAsync(s => s.Id == uploadSetId);
        var now = TimeProvider.System.GetUtcNow();
        var picture = new Picture
        {
            Id = Guid.CreateVersion7(),
            OriginInstanceId = set.OriginInstanceId,
            AccountId = set.AccountId,
            UploadSetId = uploadSetId,
            Location = Geo.CreatePoint(new Coordinate(m.Longitude, m.Latitude)),
            CapturedAt = m.CapturedAt,
            CaptureUtcOffsetMinutes = m.UtcOffsetMinutes,
            Heading = m.Heading,
            HeadingFromUser = m.Heading is not null,
            Pitch = m.Pitch,
            Roll = m.Roll,
            Kind = m.Kind,
            CameraMake = m.CameraMake,
            CameraModel = m.CameraModel,
            FocalLengthMm = m.FocalLengthMm,
            FieldOfViewDeg = m.FieldOfViewDeg,
            Width = m.Width,
            Height = m.Height,
            ContentSha256 = SHA256.HashData(bytes),
            OriginalFileName = fileName ?? Path.GetFileName(path),
            OriginalFileSize = bytes.Length,
            Status = PictureStatus.WaitingForProcess,
            Visibility = set.Visibility ?? Domain.Visibility.Visibility.Anyone,
            Blurred = isBlurred,
            BlurSource = isBlurred ? BlurSource.DeclaredByUploader : BlurSource.None,
            Exif = JsonSerializer.Serialize(m.Exif),
            OriginalKey = key,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await using var tx = await db.Database.BeginTransactionAsync();
        db.UploadSetFiles.Add(new UploadSetFile
        {
            Id = fileId,
            UploadSetId = uploadSetId,
            PictureId = picture.Id,
            FileName = picture.OriginalFileName,
            Size = bytes.Length,
#pragma warning disable CA5351 // content_md5 is the API's field (GeoVisio), an identifier, not security.
            ContentMd5 = Convert.ToHexStringLower(MD5.HashData(bytes)),
#pragma warning restore CA5351
            ContentSha256 = picture.ContentSha256,
            InsertedAt = now,
        });
        db.Pictures.Add(picture);
        await db.SaveChangesAsync();
        await JobQueue.EnqueueAsync(db, JobKinds.ProcessPicture, picture.Id, TimeProvider.System, default);
        await tx.CommitAsync();
        return picture.Id;
    }

    public async Task CompleteAsync(Guid uploadSetId)
    {
        await using var db = NewDb();
        await using var tx = await db.Database.BeginTransactionAsync();
        await db.UploadSets.Where(s => s.Id == uploadSetId).ExecuteUpdateAsync(s => s.SetProperty(x => x.Completed, true));
        await JobQueue.EnqueueAsync(db, JobKinds.DispatchUploadSet, uploadSetId, TimeProvider.System, default);
        await tx.CommitAsync();
    }

    public async Task<long> ScalarAsync(string sql, params object[] args)
    {
        await using var cmd = _dataSource.CreateCommand(sql);
        foreach (var a in args)
        {
            cmd.Parameters.Add(new() { Value = a });
        }
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Polls until <paramref name="done"/> holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> done, TimeSpan timeout, string what)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(sw.Elapsed < timeout, $"timed out after {timeout} waiting for: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Pictures of an upload set with a given status.</summary>
    public Task<long> CountAsync(Guid uploadSetId, string status) =>
        ScalarAsync("SELECT count(*) FROM pictures WHERE upload_set_id = $1 AND status = $2", uploadSetId, status);

    /// <summary>
    /// Jobs of these targets not finished yet. A handler's last write (picture ready or broken) and the worker's closing
    /// of its job are two statements: tests asserting on the job wait for this to reach 0 too.
    /// </summary>
    public Task<long> UnfinishedJobsAsync(params Guid[] targets) =>
        ScalarAsync("SELECT count(*) FROM jobs WHERE target_id = ANY($1) AND state IN ('queued', 'running')", targets);

    private static async Task<Guid> SelfAsync(PanoramaxDbContext db) =>
        await db.Instances.Where(i => i.IsSelf).Select(i => i.Id).FirstAsync();

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();
}
