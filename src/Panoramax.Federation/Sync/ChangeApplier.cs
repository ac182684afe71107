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
        // The contiguous run after the cursor; the rest is skipped (already applied) or left for the next pull (a gap).
        var run = new List<ChangeLogEntry>(entries.Count);
        var skipped = 0;
        var current = s.Seq;
        foreach (var e in entries)
        {
            if (e.Seq <= current)
            {
                skipped++;
                continue;
            }
            if (e.Seq != current + 1)
            {
                // Only possible if another applier took a different path through the chain; stop, the next pull resumes.
                break;
            }
            run.Add(e);
            current = e.Seq;
        }
        var (applied, rejected) = await ApplyRunAsync(s, run, ct);
        s.Seq = current;
        return new ApplyResult(applied, skipped, rejected, current);
    }

    /// <summary>
    /// Applies verified entries that need not follow the cursor (a snapshot copy, a reconcile repair), with the same
    /// record rules (versions, tombstones, origins). Entries already stored are kept as they are; the cursor does not move.
    /// </summary>
    internal async Task<ApplyResult> ApplyRecordsAsync(ApplySession s, IReadOnlyList<ChangeLogEntry> entries, CancellationToken ct)
    {
        var run = entries.OrderBy(e => e.Seq).ToList();
        var (applied, rejected) = await ApplyRunAsync(s, run, ct);
        return new ApplyResult(applied, 0, rejected, s.Seq);
    }

    /// <summary>Decides and writes a run of entries in seq order (the records, then each entry stored byte for byte).</summary>
    private async Task<(int Applied, int Rejected)> ApplyRunAsync(ApplySession s, List<ChangeLogEntry> run, CancellationToken ct)
    {
        // Each payload is parsed once, then everything the decisions need is read in one round trip, and the writes
        // go out in batches: the per-entry round trips were nearly all of the cost of a copy.
        var parsed = run.Select(Parse).ToList();
        var state = await BatchState.LoadAsync(s.Connection, s.Transaction, run, parsed, ct);

        await using var writes = new BatchWriter(s.Connection, s.Transaction);
        int applied = 0, rejected = 0;
        for (var i = 0; i < run.Count; i++)
        {
            var e = run[i];
            if (!Decide(e, parsed[i], state, writes, s.Now, s.TouchedSequences))
            {
                rejected++;
                logger.LogWarning("Refused entry {Origin}/{Seq}: {Kind} {Entity} belongs to another origin", s.Origin, e.Seq, e.EntityKind, e.EntityId);
            }
            writes.Add(InsertEntryCommand(e, s.Now));
            if (e.Op == ChangeOp.Tombstone)
            {
                state.RecordTombstone(e.EntityKind, e.EntityId, e.EntityVersion);
            }
            applied++;
            await writes.FlushIfFullAsync(ct);
        }
        await writes.FlushAsync(ct);
        return (applied, rejected);
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

    private static NpgsqlBatchCommand InsertEntryCommand(ChangeLogEntry e, DateTimeOffset now)
    {
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO change_log (origin_instance_id, seq, entity_kind, entity_id, op, entity_version, payload, payload_hash, prev_hash,
                                    signature, entry_hash, sealed_at, created_at)
            VALUES (@o, @seq, @kind, @id, @op, @v, @payload, @ph, @prev, @sig, @hash, @now, @created)
            ON CONFLICT (origin_instance_id, seq) DO NOTHING
            """);
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
        return cmd;
    }

    /// <summary>An upsert's payload read back (a <see cref="PictureCopy"/>, <see cref="SequenceCopy"/> or account), or
    /// the reason it cannot be read; null for tombstones.</summary>
    private static object? Parse(ChangeLogEntry e)
    {
        if (e.Op == ChangeOp.Tombstone)
        {
            return null;
        }
        if (e.Payload is null)
        {
            // An upsert whose payload retention removed (a newer entry of the record follows): kept for the chain only.
            return Pruned.Instance;
        }
        try
        {
            return e.EntityKind switch
            {
                EntityKind.Picture => StacPayload.ReadPicture(e.Payload!),
                EntityKind.Sequence => StacPayload.ReadSequence(e.Payload!),
                _ => StacPayload.ReadAccount(e.Payload!),
            };
        }
        catch (Exception ex) when (StacPayload.IsUnreadable(ex))
        {
            return new Unreadable(ex);
        }
    }

    private sealed record Unreadable(Exception Error);

    private sealed class Pruned
    {
        public static readonly Pruned Instance = new();
    }

    /// <summary>
    /// Decides one entry against the state of the records (as loaded and as changed by the earlier entries of the run)
    /// and queues its writes. False when the entry claims a record that belongs to another origin (nothing changes then).
    /// </summary>
    private bool Decide(ChangeLogEntry e, object? payload, BatchState state, BatchWriter writes, DateTimeOffset now, HashSet<Guid> touched)
    {
        var existing = state.Get(e.EntityKind, e.EntityId);
        if (existing is { } ex0 && ex0.Origin != e.OriginInstanceId)
        {
            return false;
        }

        if (e.Op == ChangeOp.Tombstone)
        {
            if (e.EntityKind != EntityKind.Account && existing is { } ex && ex.Version <= e.EntityVersion)
            {
                var table = e.EntityKind == EntityKind.Picture ? "pictures" : "sequences";
                var cmd = new NpgsqlBatchCommand($"UPDATE {table} SET status = 'deleted', deleted_at = coalesce(deleted_at, @now), version = @v, updated_at = @now WHERE id = @id");
                cmd.Parameters.AddWithValue("now", now);
                cmd.Parameters.AddWithValue("v", e.EntityVersion);
                cmd.Parameters.AddWithValue("id", e.EntityId);
                writes.Add(cmd);
                state.Set(e.EntityKind, e.EntityId, ex with { Version = e.EntityVersion });
                if (e.EntityKind == EntityKind.Picture && state.SequenceOf(e.EntityId) is { } seq)
                {
                    touched.Add(seq);
                }
            }
            return true;
        }

        if (existing is { } older && older.Version >= e.EntityVersion && e.EntityKind != EntityKind.Account)
        {
            return true;
        }
        // A tombstone already seen at this version or later wins over a late upsert, even for a record we never held.
        if (state.TombstonedAtOrAfter(e.EntityKind, e.EntityId, e.EntityVersion))
        {
            return true;
        }
        switch (payload)
        {
            case Unreadable u:
                // Signed by its origin but not something we can read: keep the entry (the chain goes on), skip the record.
                logger.LogWarning(u.Error, "Entry {Origin}/{Seq} has a payload we cannot read; record skipped", e.OriginInstanceId, e.Seq);
                return true;
            case PictureCopy p:
                return UpsertPicture(e, p, state, writes, now, touched);
            case SequenceCopy s:
                return UpsertSequence(e, s, state, writes, now, touched);
            case ValueTuple<Guid, string> account:
                return account.Item1 == e.EntityId && EnsureAccount(e.OriginInstanceId, account.Item1, account.Item2, state, writes, now);
            default:
                return true;
        }
    }

    /// <summary>Creates or renames the origin's account; false if that id is an account of another origin.</summary>
    private static bool EnsureAccount(Guid origin, Guid id, string name, BatchState state, BatchWriter writes, DateTimeOffset now)
    {
        if (state.Get(EntityKind.Account, id) is { } existing && existing.Origin != origin)
        {
            return false;
        }
        name = name.Length == 0 ? "unknown" : name;
        if (!state.AccountNeedsWrite(id, name))
        {
            return true;
        }
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
            VALUES (@id, @o, @name, 'user', false, 'anyone', 0, @now, @now)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
                WHERE accounts.origin_instance_id = excluded.origin_instance_id
            """);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("now", now);
        writes.Add(cmd);
        state.Set(EntityKind.Account, id, new RecordState(origin, 0));
        return true;
    }

    private static bool UpsertSequence(ChangeLogEntry e, SequenceCopy s, BatchState state, BatchWriter writes, DateTimeOffset now, HashSet<Guid> touched)
    {
        if (s.Id != e.EntityId || !EnsureAccount(e.OriginInstanceId, s.AccountId, s.AccountName, state, writes, now))
        {
            return false;
        }
        var cmd = new NpgsqlBatchCommand("""
            INSERT INTO sequences (id, origin_instance_id, account_id, title, status, visibility, license, sorted_by, upload_software, semantics,
                                   picture_count, length_km, created_at, updated_at, version)
            VALUES (@id, @o, @account, @title, 'ready', 'anyone', @license, @sorted, @software, @semantics::jsonb, 0, 0, @created, @updated, @v)
            ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, title = excluded.title, status = 'ready', visibility = 'anyone',
                license = excluded.license, sorted_by = excluded.sorted_by, upload_software = excluded.upload_software, semantics = excluded.semantics,
                deleted_at = NULL, created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version
                WHERE sequences.origin_instance_id = excluded.origin_instance_id AND sequences.version < excluded.version
            """);
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
        writes.Add(cmd);
        state.Set(EntityKind.Sequence, s.Id, new RecordState(e.OriginInstanceId, e.EntityVersion));
        touched.Add(s.Id);
        return true;
    }

    private static bool UpsertPicture(ChangeLogEntry e, PictureCopy p, BatchState state, BatchWriter writes, DateTimeOffset now, HashSet<Guid> touched)
    {
        if (p.Id != e.EntityId || !EnsureAccount(e.OriginInstanceId, p.AccountId, p.AccountName, state, writes, now))
        {
            return false;
        }
        if (state.Get(EntityKind.Sequence, p.SequenceId) is { } sequence)
        {
            if (sequence.Origin != e.OriginInstanceId)
            {
                return false;
            }
        }
        else
        {
            // The picture may arrive before its sequence: a version-0 stub that the sequence's own entry replaces.
            var stub = new NpgsqlBatchCommand("""
                INSERT INTO sequences (id, origin_instance_id, account_id, title, status, visibility, sorted_by, upload_software, semantics,
                                       picture_count, length_km, created_at, updated_at, version)
                VALUES (@id, @o, @account, '', 'ready', 'anyone', '+gpsdate', 'unknown', '[]'::jsonb, 0, 0, @now, @now, 0)
                ON CONFLICT (id) DO NOTHING
                """);
            stub.Parameters.AddWithValue("id", p.SequenceId);
            stub.Parameters.AddWithValue("o", e.OriginInstanceId);
            stub.Parameters.AddWithValue("account", p.AccountId);
            stub.Parameters.AddWithValue("now", now);
            writes.Add(stub);
            state.Set(EntityKind.Sequence, p.SequenceId, new RecordState(e.OriginInstanceId, 0));
        }
        var cmd = new NpgsqlBatchCommand("""
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
            """);
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
        writes.Add(cmd);
        state.Set(EntityKind.Picture, p.Id, new RecordState(e.OriginInstanceId, e.EntityVersion));
        state.SetSequenceOf(p.Id, p.SequenceId);
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

    /// <summary>Applies verified entries wherever they stand in the origin's log (snapshot copy, reconcile repair); the cursor stays.</summary>
    public Task<ApplyResult> ApplyRecordsAsync(IReadOnlyList<ChangeLogEntry> entries, CancellationToken ct) => _applier.ApplyRecordsAsync(this, entries, ct);

    /// <summary>Moves the position of the origin (after a snapshot copy: the snapshot's anchor seq).</summary>
    public void MoveTo(long seq) => Seq = seq;

    /// <summary>Refreshes the touched sequences, moves the origin's position (and the peer's cursor when given) and commits.</summary>
    public Task CommitAsync(Guid? peer, long peerMaxSeq, CancellationToken ct) => ChangeApplier.CommitAsync(this, peer, peerMaxSeq, ct);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
