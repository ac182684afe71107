using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;
using Panoramax.Persistence.Sequences;

namespace Panoramax.Federation.Sync;

/// <summary>Outcome of one applied batch.</summary>
public sealed record ApplyResult(int Applied, int Skipped, int Rejected, long LastSeq);

/// <summary>
/// Applies verified entries of one origin in one transaction together with the peer cursor: a crash never skips
/// or double-applies. Idempotent by (origin, seq) and by entity id and version; a tombstone is never undone by a
/// late (older or equal version) upsert; a record held with another origin is never overwritten.
/// </summary>
public sealed class ChangeApplier(NpgsqlDataSource db, TimeProvider clock, ILogger<ChangeApplier> logger)
{
    public async Task<ApplyResult> ApplyAsync(Guid peer, Guid origin, IReadOnlyList<ChangeLogEntry> entries, long peerMaxSeq, CancellationToken ct)
    {
        await using var session = await BeginAsync(origin, ct);
        var result = await session.ApplyAsync(entries, ct);
        await session.CommitAsync(peer, peerMaxSeq, ct);
        return result;
    }

    /// <summary>
    /// Opens one transaction for <paramref name="origin"/> (locking its row: one applier per origin at a time) in which
    /// several batches may be applied before <see cref="ApplySession.CommitAsync"/>: the legacy harvester applies a whole
    /// collection, page by page, all or nothing.
    /// </summary>
    public async Task<ApplySession> BeginAsync(Guid origin, CancellationToken ct)
    {
        var conn = await db.OpenConnectionAsync(ct);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await conn.BeginTransactionAsync(ct);
            // Two peers may relay the same origin at once: one applier per origin at a time, then re-read where it stands.
            await using var cmd = new NpgsqlCommand("SELECT last_seq FROM instances WHERE id = @o AND NOT is_self FOR UPDATE", conn, tx);
            cmd.Parameters.AddWithValue("o", origin);
            var current = await cmd.ExecuteScalarAsync(ct) is long l ? l : throw new InvalidOperationException($"Origin {origin} is not known here.");
            return new ApplySession(this, conn, tx, origin, current, clock.GetUtcNow());
        }
        catch
        {
            if (tx is not null)
            {
                await tx.DisposeAsync();
            }
            await conn.DisposeAsync();
            throw;
        }
    }

    internal async Task<ApplyResult> ApplyBatchAsync(ApplySession s, IReadOnlyList<ChangeLogEntry> entries, CancellationToken ct)
    {
        int applied = 0, skipped = 0, rejected = 0;
        foreach (var e in entries)
        {
            if (e.Seq <= s.Seq)
            {
                skipped++;
                continue;
            }
            if (e.Seq != s.Seq + 1)
            {
                // Only possible if another applier took a different path through the chain; stop, the next pull resumes.
                break;
            }
            var ok = await ApplyEntityAsync(s.Connection, s.Transaction, e, s.Now, s.TouchedSequences, ct);
            if (!ok)
            {
                rejected++;
                logger.LogWarning("Refused entry {Origin}/{Seq}: {Kind} {Entity} belongs to another origin", s.Origin, e.Seq, e.EntityKind, e.EntityId);
            }
            await InsertEntryAsync(s.Connection, s.Transaction, e, s.Now, ct);
            s.Seq = e.Seq;
            applied++;
        }
        return new ApplyResult(applied, skipped, rejected, s.Seq);
    }

    internal static async Task CommitAsync(ApplySession s, Guid? peer, long peerMaxSeq, CancellationToken ct)
    {
        var (conn, tx, now) = (s.Connection, s.Transaction, s.Now);
        foreach (var seq in s.TouchedSequences)
        {
            await SequenceAggregates.RefreshAsync(conn, tx, seq, now, ct, bumpVersion: false);
        }
        await using (var cmd = new NpgsqlCommand("UPDATE instances SET last_seq = @seq, updated_at = @now WHERE id = @o", conn, tx))
        {
            cmd.Parameters.AddWithValue("seq", s.Seq);
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("o", s.Origin);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        if (peer is { } p)
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO peer_cursors (peer_id, origin_id, seq, peer_max_seq, caught_up_at, updated_at)
                VALUES (@peer, @o, @seq, @pmax, @now, @now)
                ON CONFLICT (peer_id, origin_id) DO UPDATE SET seq = excluded.seq, peer_max_seq = greatest(peer_cursors.peer_max_seq, excluded.peer_max_seq),
                    caught_up_at = CASE WHEN excluded.seq >= greatest(peer_cursors.peer_max_seq, excluded.peer_max_seq) THEN excluded.caught_up_at ELSE peer_cursors.caught_up_at END,
                    updated_at = excluded.updated_at
                """, conn, tx);
            cmd.Parameters.AddWithValue("seq", s.Seq);
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("o", s.Origin);
            cmd.Parameters.AddWithValue("peer", p);
            cmd.Parameters.AddWithValue("pmax", peerMaxSeq);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private static async Task InsertEntryAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ChangeLogEntry e, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO change_log (origin_instance_id, seq, entity_kind, entity_id, op, entity_version, payload, payload_hash, prev_hash,
                                    signature, entry_hash, sealed_at, created_at)
            VALUES (@o, @seq, @kind, @id, @op, @v, @payload, @ph, @prev, @sig, @hash, @now, @created)
            ON CONFLICT (origin_instance_id, seq) DO NOTHING
            """, conn, tx);
        cmd.Parameters.AddWithValue("o", e.OriginInstanceId);
        cmd.Parameters.AddWithValue("seq", e.Seq);
        cmd.Parameters.AddWithValue("kind", e.EntityKind.ToApiName());
        cmd.Parameters.AddWithValue("id", e.EntityId);
        cmd.Parameters.AddWithValue("op", e.Op.ToApiName());
        cmd.Parameters.AddWithValue("v", e.EntityVersion);
        cmd.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Text) { Value = (object?)e.Payload ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("ph", NpgsqlDbType.Bytea) { Value = (object?)e.PayloadHash ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("prev", NpgsqlDbType.Bytea) { Value = (object?)e.PrevHash ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("sig", NpgsqlDbType.Bytea) { Value = (object?)e.Signature ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("hash", NpgsqlDbType.Bytea) { Value = (object?)e.EntryHash ?? DBNull.Value });
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("created", e.CreatedAt);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>False when the entry claims a record that belongs to another origin (nothing is changed then).</summary>
    private async Task<bool> ApplyEntityAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ChangeLogEntry e, DateTimeOffset now, HashSet<Guid> touched, CancellationToken ct)
    {
        var table = e.EntityKind switch
        {
            EntityKind.Picture => "pictures",
            EntityKind.Sequence => "sequences",
            _ => "accounts",
        };
        Guid? existingOrigin = null;
        long existingVersion = 0;
        await using (var cmd = new NpgsqlCommand(e.EntityKind == EntityKind.Account
            ? "SELECT origin_instance_id, 0::bigint FROM accounts WHERE id = @id"
            : $"SELECT origin_instance_id, version FROM {table} WHERE id = @id", conn, tx))
        {
            cmd.Parameters.AddWithValue("id", e.EntityId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                existingOrigin = r.GetGuid(0);
                existingVersion = r.GetInt64(1);
            }
        }
        if (existingOrigin is { } eo && eo != e.OriginInstanceId)
        {
            return false;
        }

        if (e.Op == ChangeOp.Tombstone)
        {
            if (e.EntityKind != EntityKind.Account && existingOrigin is not null && existingVersion <= e.EntityVersion)
            {
                await using var cmd = new NpgsqlCommand(
                    $"UPDATE {table} SET status = 'deleted', deleted_at = coalesce(deleted_at, @now), version = @v, updated_at = @now WHERE id = @id", conn, tx);
                cmd.Parameters.AddWithValue("now", now);
                cmd.Parameters.AddWithValue("v", e.EntityVersion);
                cmd.Parameters.AddWithValue("id", e.EntityId);
                await cmd.ExecuteNonQueryAsync(ct);
                if (e.EntityKind == EntityKind.Picture)
                {
                    await TouchSequenceOfAsync(conn, tx, e.EntityId, touched, ct);
                }
            }
            return true;
        }

        if (existingOrigin is not null && existingVersion >= e.EntityVersion && e.EntityKind != EntityKind.Account)
        {
            return true;
        }
        // A tombstone already seen at this version or later wins over a late upsert, even for a record we never held.
        await using (var cmd = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM change_log WHERE entity_kind = @kind AND entity_id = @id AND op = 'tombstone' AND entity_version >= @v)
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("kind", e.EntityKind.ToApiName());
            cmd.Parameters.AddWithValue("id", e.EntityId);
            cmd.Parameters.AddWithValue("v", e.EntityVersion);
            if (await cmd.ExecuteScalarAsync(ct) is true)
            {
                return true;
            }
        }

        try
        {
            switch (e.EntityKind)
            {
                case EntityKind.Picture:
                    return await UpsertPictureAsync(conn, tx, e, StacPayload.ReadPicture(e.Payload!), now, touched, ct);
                case EntityKind.Sequence:
                    return await UpsertSequenceAsync(conn, tx, e, StacPayload.ReadSequence(e.Payload!), now, touched, ct);
                default:
                    var (id, name) = StacPayload.ReadAccount(e.Payload!);
                    return id == e.EntityId && await EnsureAccountAsync(conn, tx, e.OriginInstanceId, id, name, now, ct);
            }
        }
        catch (Exception ex) when (StacPayload.IsUnreadable(ex))
        {
            // Signed by its origin but not something we can read: keep the entry (the chain goes on), skip the record.
            logger.LogWarning(ex, "Entry {Origin}/{Seq} has a payload we cannot read; record skipped", e.OriginInstanceId, e.Seq);
            return true;
        }
    }

    private static async Task TouchSequenceOfAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid pictureId, HashSet<Guid> touched, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT sequence_id FROM pictures WHERE id = @id", conn, tx);
        cmd.Parameters.AddWithValue("id", pictureId);
        if (await cmd.ExecuteScalarAsync(ct) is Guid s)
        {
            touched.Add(s);
        }
    }

    /// <summary>Creates or renames the origin's account; false if that id is an account of another origin.</summary>
    private static async Task<bool> EnsureAccountAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid origin, Guid id, string name, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
            VALUES (@id, @o, @name, 'user', false, 'anyone', 0, @now, @now)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
                WHERE accounts.origin_instance_id = excluded.origin_instance_id
            RETURNING origin_instance_id
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("name", name.Length == 0 ? "unknown" : name);
        cmd.Parameters.AddWithValue("now", now);
        return await cmd.ExecuteScalarAsync(ct) is Guid;
    }

    private static async Task<bool> UpsertSequenceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ChangeLogEntry e, SequenceCopy s, DateTimeOffset now, HashSet<Guid> touched, CancellationToken ct)
    {
        if (s.Id != e.EntityId || !await EnsureAccountAsync(conn, tx, e.OriginInstanceId, s.AccountId, s.AccountName, now, ct))
        {
            return false;
        }
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO sequences (id, origin_instance_id, account_id, title, status, visibility, license, sorted_by, upload_software, semantics,
                                   picture_count, length_km, created_at, updated_at, version)
            VALUES (@id, @o, @account, @title, 'ready', 'anyone', @license, @sorted, @software, @semantics::jsonb, 0, 0, @created, @updated, @v)
            ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, title = excluded.title, status = 'ready', visibility = 'anyone',
                license = excluded.license, sorted_by = excluded.sorted_by, upload_software = excluded.upload_software, semantics = excluded.semantics,
                deleted_at = NULL, created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version
                WHERE sequences.origin_instance_id = excluded.origin_instance_id AND sequences.version < excluded.version
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", s.Id);
        cmd.Parameters.AddWithValue("o", e.OriginInstanceId);
        cmd.Parameters.AddWithValue("account", s.AccountId);
        cmd.Parameters.AddWithValue("title", s.Title);
        cmd.Parameters.Add(new NpgsqlParameter("license", NpgsqlDbType.Varchar) { Value = (object?)s.License ?? DBNull.Value });
        cmd.Parameters.AddWithValue("sorted", s.SortedBy);
        cmd.Parameters.AddWithValue("software", s.UploadSoftware);
        cmd.Parameters.AddWithValue("semantics", s.SemanticsJson);
        cmd.Parameters.AddWithValue("created", s.CreatedAt);
        cmd.Parameters.AddWithValue("updated", s.UpdatedAt);
        cmd.Parameters.AddWithValue("v", e.EntityVersion);
        await cmd.ExecuteNonQueryAsync(ct);
        touched.Add(s.Id);
        return true;
    }

    private static async Task<bool> UpsertPictureAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ChangeLogEntry e, PictureCopy p, DateTimeOffset now, HashSet<Guid> touched, CancellationToken ct)
    {
        if (p.Id != e.EntityId || !await EnsureAccountAsync(conn, tx, e.OriginInstanceId, p.AccountId, p.AccountName, now, ct))
        {
            return false;
        }
        // The picture may arrive before its sequence: a version-0 stub that the sequence's own entry replaces.
        await using (var stub = new NpgsqlCommand("""
            INSERT INTO sequences (id, origin_instance_id, account_id, title, status, visibility, sorted_by, upload_software, semantics,
                                   picture_count, length_km, created_at, updated_at, version)
            VALUES (@id, @o, @account, '', 'ready', 'anyone', '+gpsdate', 'unknown', '[]'::jsonb, 0, 0, @now, @now, 0)
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """, conn, tx))
        {
            stub.Parameters.AddWithValue("id", p.SequenceId);
            stub.Parameters.AddWithValue("o", e.OriginInstanceId);
            stub.Parameters.AddWithValue("account", p.AccountId);
            stub.Parameters.AddWithValue("now", now);
            await stub.ExecuteScalarAsync(ct);
        }
        await using (var check = new NpgsqlCommand("SELECT origin_instance_id FROM sequences WHERE id = @id", conn, tx))
        {
            check.Parameters.AddWithValue("id", p.SequenceId);
            if (await check.ExecuteScalarAsync(ct) is not Guid so || so != e.OriginInstanceId)
            {
                return false;
            }
        }
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO pictures (id, origin_instance_id, account_id, sequence_id, rank, location, captured_at, capture_utc_offset_minutes,
                heading, heading_from_user, pitch, roll, kind, camera_make, camera_model, focal_length_mm, field_of_view_deg, width, height,
                gps_accuracy_m, horizontal_pixel_density, content_sha256, original_file_name, original_file_size, status, visibility, license,
                blurred, blur_source, exif, semantics, remote_assets, tile_cols, tile_rows, process_attempts, created_at, updated_at, deleted_at, version)
            VALUES (@id, @o, @account, @seq, @rank, ST_SetSRID(ST_MakePoint(@lon, @lat), 4326), @captured, @offset,
                @heading, true, @pitch, @roll, @kind, @make, @model, @focal, @fov, @w, @h,
                @acc, @density, @sha, @name, @size, 'ready', 'anyone', @license,
                true, 'instance', @exif::jsonb, @semantics::jsonb, @remote::jsonb, @cols, @rows, 0, @created, @updated, NULL, @v)
            ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, sequence_id = excluded.sequence_id, rank = excluded.rank,
                location = excluded.location, captured_at = excluded.captured_at, capture_utc_offset_minutes = excluded.capture_utc_offset_minutes,
                heading = excluded.heading, pitch = excluded.pitch, roll = excluded.roll, kind = excluded.kind, camera_make = excluded.camera_make,
                camera_model = excluded.camera_model, focal_length_mm = excluded.focal_length_mm, field_of_view_deg = excluded.field_of_view_deg,
                width = excluded.width, height = excluded.height, gps_accuracy_m = excluded.gps_accuracy_m,
                horizontal_pixel_density = excluded.horizontal_pixel_density, original_file_name = excluded.original_file_name,
                original_file_size = excluded.original_file_size, status = 'ready', visibility = 'anyone', license = excluded.license,
                exif = excluded.exif, semantics = excluded.semantics, remote_assets = excluded.remote_assets, tile_cols = excluded.tile_cols,
                tile_rows = excluded.tile_rows, created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL,
                version = excluded.version
                WHERE pictures.origin_instance_id = excluded.origin_instance_id AND pictures.version < excluded.version
            """, conn, tx);
        var c = cmd.Parameters;
        c.AddWithValue("id", p.Id);
        c.AddWithValue("o", e.OriginInstanceId);
        c.AddWithValue("account", p.AccountId);
        c.AddWithValue("seq", p.SequenceId);
        c.AddWithValue("rank", p.Rank);
        c.AddWithValue("lon", p.Lon);
        c.AddWithValue("lat", p.Lat);
        c.AddWithValue("captured", p.CapturedAt);
        c.Add(new NpgsqlParameter("offset", NpgsqlDbType.Smallint) { Value = (object?)p.UtcOffsetMinutes ?? DBNull.Value });
        c.Add(new NpgsqlParameter("heading", NpgsqlDbType.Double) { Value = (object?)p.Heading ?? DBNull.Value });
        c.Add(new NpgsqlParameter("pitch", NpgsqlDbType.Double) { Value = (object?)p.Pitch ?? DBNull.Value });
        c.Add(new NpgsqlParameter("roll", NpgsqlDbType.Double) { Value = (object?)p.Roll ?? DBNull.Value });
        c.AddWithValue("kind", p.Is360 ? "equirectangular" : "flat");
        c.Add(new NpgsqlParameter("make", NpgsqlDbType.Varchar) { Value = (object?)p.CameraMake ?? DBNull.Value });
        c.Add(new NpgsqlParameter("model", NpgsqlDbType.Varchar) { Value = (object?)p.CameraModel ?? DBNull.Value });
        c.Add(new NpgsqlParameter("focal", NpgsqlDbType.Double) { Value = (object?)p.FocalLength ?? DBNull.Value });
        c.Add(new NpgsqlParameter("fov", NpgsqlDbType.Double) { Value = (object?)p.FieldOfView ?? DBNull.Value });
        c.AddWithValue("w", p.Width);
        c.AddWithValue("h", p.Height);
        c.Add(new NpgsqlParameter("acc", NpgsqlDbType.Double) { Value = (object?)p.GpsAccuracy ?? DBNull.Value });
        c.Add(new NpgsqlParameter("density", NpgsqlDbType.Integer) { Value = (object?)p.HorizontalPixelDensity ?? DBNull.Value });
        // The content hash is not public; a stand-in derived from the id keeps the column meaningful for dedup scans.
        c.AddWithValue("sha", SHA256.HashData(p.Id.ToByteArray()));
        c.AddWithValue("name", p.OriginalFileName.Length <= 255 ? p.OriginalFileName : p.OriginalFileName[..255]);
        c.AddWithValue("size", p.OriginalFileSize);
        c.Add(new NpgsqlParameter("license", NpgsqlDbType.Varchar) { Value = (object?)p.License ?? DBNull.Value });
        c.AddWithValue("exif", p.ExifJson);
        c.AddWithValue("semantics", p.SemanticsJson);
        c.AddWithValue("remote", p.RemoteAssetsJson);
        c.Add(new NpgsqlParameter("cols", NpgsqlDbType.Integer) { Value = (object?)p.TileCols ?? DBNull.Value });
        c.Add(new NpgsqlParameter("rows", NpgsqlDbType.Integer) { Value = (object?)p.TileRows ?? DBNull.Value });
        c.AddWithValue("created", p.CreatedAt);
        c.AddWithValue("updated", p.UpdatedAt);
        c.AddWithValue("v", e.EntityVersion);
        await cmd.ExecuteNonQueryAsync(ct);
        touched.Add(p.SequenceId);
        return true;
    }
}

/// <summary>
/// One open apply transaction of one origin (see <see cref="ChangeApplier.BeginAsync"/>). Disposing it without
/// <see cref="CommitAsync"/> rolls everything back.
/// </summary>
public sealed class ApplySession : IAsyncDisposable
{
    private readonly ChangeApplier _applier;

    internal ApplySession(ChangeApplier applier, NpgsqlConnection connection, NpgsqlTransaction transaction, Guid origin, long seq, DateTimeOffset now)
    {
        _applier = applier;
        Connection = connection;
        Transaction = transaction;
        Origin = origin;
        Seq = seq;
        Now = now;
    }

    /// <summary>The session's connection, for reads and writes that must commit or roll back with the applied entries.</summary>
    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }
    public Guid Origin { get; }
    /// <summary>Highest seq of the origin applied so far (in this transaction included); the next entry must be this + 1.</summary>
    public long Seq { get; internal set; }
    /// <summary>The time stamped on everything this session writes.</summary>
    public DateTimeOffset Now { get; }
    internal HashSet<Guid> TouchedSequences { get; } = [];

    /// <summary>Applies entries numbered from <see cref="Seq"/> + 1, with the same rules as a peer's batch.</summary>
    public Task<ApplyResult> ApplyAsync(IReadOnlyList<ChangeLogEntry> entries, CancellationToken ct) => _applier.ApplyBatchAsync(this, entries, ct);

    /// <summary>Refreshes the touched sequences, moves the origin's position (and the peer's cursor when given) and commits.</summary>
    public Task CommitAsync(Guid? peer, long peerMaxSeq, CancellationToken ct) => ChangeApplier.CommitAsync(this, peer, peerMaxSeq, ct);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
