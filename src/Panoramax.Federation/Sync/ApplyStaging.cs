using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;

namespace Panoramax.Federation.Sync;

/// <summary>
/// The writes decided for one run of entries, kept as the last state of each record, then sent set-based: each
/// table's rows go into a temporary table with binary COPY, then one INSERT … SELECT … ON CONFLICT per table.
/// Row by row upserts spent most of their time in PostgreSQL parsing and planning one statement per record.
/// One INSERT … ON CONFLICT cannot touch a row twice, hence one row per record: the last state the decisions reached,
/// a tombstone that follows an upsert of the same run folded into that row.
/// </summary>
internal sealed class StagedWrites
{
    /// <summary>
    /// Staging tables, created once per connection and emptied by every commit: creating and dropping five tables in
    /// each batch's transaction cost more than some of the writes.
    /// </summary>
    internal const string CreateSql = """
        CREATE TEMP TABLE IF NOT EXISTS apply_accounts (id uuid, origin uuid, name text) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS apply_tombstones (kind text, id uuid, version bigint) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS apply_sequences (id uuid, origin uuid, account_id uuid, title text, license text, sorted_by text,
            upload_software text, semantics text, status text, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz,
            version bigint) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS apply_pictures (ord int, id uuid, origin uuid, account_id uuid, sequence_id uuid, rank int, lon float8, lat float8,
            captured_at timestamptz, utc_offset smallint, heading float8, pitch float8, roll float8, kind text, camera_make text,
            camera_model text, focal float8, fov float8, width int, height int, gps_accuracy float8, density int, sha bytea,
            file_name text, file_size bigint, license text, exif text, semantics text, remote text, tile_cols int, tile_rows int,
            status text, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz, version bigint) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS apply_entries (origin uuid, seq bigint, entity_kind text, entity_id uuid, op text, entity_version bigint,
            payload text, payload_hash bytea, prev_hash bytea, signature bytea, entry_hash bytea, created_at timestamptz) ON COMMIT DELETE ROWS;
        """;

    // Existing rows tombstoned (no upsert of theirs in the run after it) go first: they leave the unique
    // (sequence, rank) of live pictures before a picture of the run takes their rank, as row by row did.
    private const string PictureTombstonesSql = """
        UPDATE pictures p SET status = 'deleted', deleted_at = coalesce(p.deleted_at, @now), version = t.version, updated_at = @now
        FROM apply_tombstones t WHERE t.kind = 'picture' AND p.id = t.id
        """;

    private const string SequenceTombstonesSql = """
        UPDATE sequences s SET status = 'deleted', deleted_at = coalesce(s.deleted_at, @now), version = t.version, updated_at = @now
        FROM apply_tombstones t WHERE t.kind = 'sequence' AND s.id = t.id
        """;

    private const string AccountsSql = """
        INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
        SELECT id, origin, name, 'user', false, 'anyone', 0, @now, @now FROM apply_accounts
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
            WHERE accounts.origin_instance_id = excluded.origin_instance_id
        """;

    // An update leaves visibility as it is: copies are 'anyone' unless this instance's moderators took one down
    // (Moderation), and that local decision must outlive the origin's later versions.
    // A stub (a picture came before its sequence) is a version-0 row no existing row is older than: never an update.
    // license_filtered is what the sequences_license_filter trigger computes (the trigger does not fire while triggers are
    // bypassed, see FlushAsync; when it fires it finds the same value).
    private const string SequencesSql = """
        INSERT INTO sequences (id, origin_instance_id, account_id, title, status, visibility, license, sorted_by, upload_software, semantics,
                               picture_count, length_km, created_at, updated_at, deleted_at, version, license_filtered)
        SELECT id, origin, account_id, title, status, 'anyone', license, sorted_by, upload_software, semantics::jsonb,
               0, 0, created_at, updated_at, deleted_at, version,
               (SELECT i.accepted_licenses IS NOT NULL AND (apply_sequences.license IS NULL OR NOT EXISTS
                    (SELECT 1 FROM unnest(i.accepted_licenses) a WHERE lower(a) = lower(apply_sequences.license)))
                FROM instances i WHERE i.id = apply_sequences.origin)
        FROM apply_sequences
        ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, title = excluded.title, status = excluded.status,
            license = excluded.license, sorted_by = excluded.sorted_by, upload_software = excluded.upload_software, semantics = excluded.semantics,
            deleted_at = excluded.deleted_at, created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version,
            license_filtered = excluded.license_filtered
            WHERE sequences.origin_instance_id = excluded.origin_instance_id AND sequences.version < excluded.version
        """;

    // In the order of the entries that decided each row: a picture moved off a rank is moved before another takes it.
    // license_filtered: as the pictures_license_filter trigger computes it (see SequencesSql).
    private const string PicturesSql = """
        INSERT INTO pictures (id, origin_instance_id, account_id, sequence_id, rank, location, captured_at, capture_utc_offset_minutes,
            heading, heading_from_user, pitch, roll, kind, camera_make, camera_model, focal_length_mm, field_of_view_deg, width, height,
            gps_accuracy_m, horizontal_pixel_density, content_sha256, original_file_name, original_file_size, status, visibility, license,
            blurred, blur_source, exif, semantics, remote_assets, tile_cols, tile_rows, process_attempts, created_at, updated_at, deleted_at, version,
            license_filtered)
        SELECT id, origin, account_id, sequence_id, rank, ST_SetSRID(ST_MakePoint(lon, lat), 4326), captured_at, utc_offset,
            heading, true, pitch, roll, kind, camera_make, camera_model, focal, fov, width, height,
            gps_accuracy, density, sha, file_name, file_size, status, 'anyone', license,
            true, 'instance', exif::jsonb, semantics::jsonb, remote::jsonb, tile_cols, tile_rows, 0, created_at, updated_at, deleted_at, version,
            apply_pictures.license IS NOT NULL AND coalesce((SELECT i.accepted_licenses IS NOT NULL AND NOT EXISTS
                (SELECT 1 FROM unnest(i.accepted_licenses) a WHERE lower(a) = lower(apply_pictures.license))
                FROM instances i WHERE i.id = apply_pictures.origin), false)
        FROM apply_pictures ORDER BY ord
        ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, sequence_id = excluded.sequence_id, rank = excluded.rank,
            location = excluded.location, captured_at = excluded.captured_at, capture_utc_offset_minutes = excluded.capture_utc_offset_minutes,
            heading = excluded.heading, pitch = excluded.pitch, roll = excluded.roll, kind = excluded.kind, camera_make = excluded.camera_make,
            camera_model = excluded.camera_model, focal_length_mm = excluded.focal_length_mm, field_of_view_deg = excluded.field_of_view_deg,
            width = excluded.width, height = excluded.height, gps_accuracy_m = excluded.gps_accuracy_m,
            horizontal_pixel_density = excluded.horizontal_pixel_density, original_file_name = excluded.original_file_name,
            original_file_size = excluded.original_file_size, status = excluded.status, license = excluded.license,
            exif = excluded.exif, semantics = excluded.semantics, remote_assets = excluded.remote_assets, tile_cols = excluded.tile_cols,
            tile_rows = excluded.tile_rows, created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at,
            version = excluded.version, license_filtered = excluded.license_filtered
            WHERE pictures.origin_instance_id = excluded.origin_instance_id AND pictures.version < excluded.version
        """;

    // Entries are stored byte for byte; one already held (a snapshot or a repair stored it) stays as it is.
    private const string EntriesSql = """
        INSERT INTO change_log (origin_instance_id, seq, entity_kind, entity_id, op, entity_version, payload, payload_hash, prev_hash,
                                signature, entry_hash, sealed_at, created_at)
        SELECT origin, seq, entity_kind, entity_id, op, entity_version, payload, payload_hash, prev_hash, signature, entry_hash, @now, created_at
        FROM apply_entries ORDER BY seq
        ON CONFLICT (origin_instance_id, seq) DO NOTHING
        """;

    /// <summary>Empties the staging tables between two runs of one transaction (a commit empties them otherwise).</summary>
    internal const string TruncateSql = "TRUNCATE apply_accounts, apply_tombstones, apply_sequences, apply_pictures, apply_entries";

    private readonly Dictionary<Guid, (Guid Origin, string Name)> _accounts = [];
    private readonly Dictionary<Guid, SequenceRow> _sequences = [];
    private readonly Dictionary<Guid, PictureRow> _pictures = [];
    private readonly Dictionary<(EntityKind Kind, Guid Id), long> _tombstones = [];
    private readonly List<ChangeLogEntry> _entries = [];
    private readonly DateTimeOffset _now;
    private int _order;

    public StagedWrites(DateTimeOffset now) => _now = now;

    /// <summary>Creates or renames an account (the last name of the run wins).</summary>
    public void Account(Guid id, Guid origin, string name) => _accounts[id] = (origin, name);

    /// <summary>A sequence as its origin published it (replaces a stub or an earlier state of the run).</summary>
    public void Sequence(Guid origin, SequenceCopy s, long version)
    {
        _tombstones.Remove((EntityKind.Sequence, s.Id));
        _sequences[s.Id] = new SequenceRow(s.Id, origin, s.AccountId, s, version);
    }

    /// <summary>A version-0 stand-in for a sequence whose picture came first (its own entry replaces it).</summary>
    public void SequenceStub(Guid id, Guid origin, Guid account) => _sequences[id] = new SequenceRow(id, origin, account, null, 0);

    public void Picture(Guid origin, PictureCopy p, long version)
    {
        _tombstones.Remove((EntityKind.Picture, p.Id));
        _pictures[p.Id] = new PictureRow(_order++, origin, p, version);
    }

    /// <summary>Hides a record held here at this version or older: folded into its row when the run wrote one.</summary>
    public void Tombstone(EntityKind kind, Guid id, long version)
    {
        if (kind == EntityKind.Picture && _pictures.TryGetValue(id, out var p))
        {
            p.DeletedAt = _now;
            p.Version = version;
        }
        else if (kind == EntityKind.Sequence && _sequences.TryGetValue(id, out var s))
        {
            s.DeletedAt = _now;
            s.Version = version;
        }
        else
        {
            _tombstones[(kind, id)] = version;
        }
    }

    /// <summary>Every entry of the run is stored, applied or not.</summary>
    public void Entry(ChangeLogEntry e) => _entries.Add(e);

    /// <summary>
    /// Sends everything: the COPYs, then one round trip with the statements (the commit empties the staging tables).
    /// <paramref name="entriesNew"/>: none of the entries is stored yet (the origin's row lock keeps it so), they are
    /// COPYed straight into the log. <paramref name="bypassTriggers"/>: these writes run with
    /// <c>session_replication_role = replica</c>, as PostgreSQL's own logical replication applies rows: no foreign-key
    /// check and no trigger per row. That is safe here because the applier itself keeps what they guard: every account,
    /// sequence (or stub) and origin a row points to is written earlier in the same flush or already held (the decisions
    /// check it), and the statements compute the one trigger-maintained column (license_filtered) themselves. The role
    /// goes back to its default at the end of the flush, so nothing else in the transaction runs without its checks.
    /// Returns the time spent in the COPYs.
    /// </summary>
    public async Task<TimeSpan> FlushAsync(NpgsqlConnection conn, NpgsqlTransaction tx, bool entriesNew, bool bypassTriggers, TimeProvider clock, CancellationToken ct)
    {
        var start = clock.GetTimestamp();
        if (_entries.Count == 0 && _accounts.Count == 0 && _sequences.Count == 0 && _pictures.Count == 0 && _tombstones.Count == 0)
        {
            return TimeSpan.Zero;
        }
        if (bypassTriggers)
        {
            await using var replica = new NpgsqlCommand("SET LOCAL session_replication_role = replica", conn, tx);
            await replica.ExecuteNonQueryAsync(ct);
        }
        await using var batch = new NpgsqlBatch(conn, tx);
        if (_tombstones.Count > 0)
        {
            await CopyTombstonesAsync(conn, ct);
            batch.BatchCommands.Add(Statement(PictureTombstonesSql));
            batch.BatchCommands.Add(Statement(SequenceTombstonesSql));
        }
        if (_accounts.Count > 0)
        {
            await CopyAccountsAsync(conn, ct);
            batch.BatchCommands.Add(Statement(AccountsSql));
        }
        if (_sequences.Count > 0)
        {
            await CopySequencesAsync(conn, ct);
            batch.BatchCommands.Add(Statement(SequencesSql));
        }
        if (_pictures.Count > 0)
        {
            await CopyPicturesAsync(conn, ct);
            batch.BatchCommands.Add(Statement(PicturesSql));
        }
        if (_entries.Count > 0 && entriesNew)
        {
            await CopyEntriesAsync(conn, DirectEntriesCopy, ct);
        }
        else if (_entries.Count > 0)
        {
            await CopyEntriesAsync(conn, StagedEntriesCopy, ct);
            batch.BatchCommands.Add(Statement(EntriesSql));
        }
        var copied = clock.GetElapsedTime(start);
        if (bypassTriggers)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL session_replication_role = DEFAULT"));
        }
        await batch.ExecuteNonQueryAsync(ct);
        _accounts.Clear();
        _sequences.Clear();
        _pictures.Clear();
        _tombstones.Clear();
        _entries.Clear();
        return copied;
    }

    private NpgsqlBatchCommand Statement(string sql)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        if (sql.Contains("@now", StringComparison.Ordinal))
        {
            cmd.Parameters.AddWithValue("now", _now);
        }
        return cmd;
    }

    private async Task CopyTombstonesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var w = await conn.BeginBinaryImportAsync("COPY apply_tombstones (kind, id, version) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var ((kind, id), version) in _tombstones)
        {
            await w.StartRowAsync(ct);
            await w.WriteAsync(kind.ToApiName(), NpgsqlDbType.Text, ct);
            await w.WriteAsync(id, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(version, NpgsqlDbType.Bigint, ct);
        }
        await w.CompleteAsync(ct);
    }

    private async Task CopyAccountsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var w = await conn.BeginBinaryImportAsync("COPY apply_accounts (id, origin, name) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var (id, (origin, name)) in _accounts)
        {
            await w.StartRowAsync(ct);
            await w.WriteAsync(id, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(origin, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(name, NpgsqlDbType.Text, ct);
        }
        await w.CompleteAsync(ct);
    }

    private async Task CopySequencesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var w = await conn.BeginBinaryImportAsync("""
            COPY apply_sequences (id, origin, account_id, title, license, sorted_by, upload_software, semantics, status, created_at, updated_at,
                                  deleted_at, version) FROM STDIN (FORMAT BINARY)
            """, ct);
        foreach (var row in _sequences.Values)
        {
            var s = row.Data;
            await w.StartRowAsync(ct);
            await w.WriteAsync(row.Id, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(row.Origin, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(row.AccountId, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(s?.Title ?? "", NpgsqlDbType.Text, ct);
            await WriteAsync(w, s?.License, NpgsqlDbType.Text, ct);
            await w.WriteAsync(s?.SortedBy ?? "+gpsdate", NpgsqlDbType.Text, ct);
            await w.WriteAsync(s?.UploadSoftware ?? "unknown", NpgsqlDbType.Text, ct);
            await w.WriteAsync(s?.SemanticsJson ?? "[]", NpgsqlDbType.Text, ct);
            await w.WriteAsync(row.DeletedAt is null ? "ready" : "deleted", NpgsqlDbType.Text, ct);
            await w.WriteAsync(s?.CreatedAt ?? _now, NpgsqlDbType.TimestampTz, ct);
            // A tombstone stamps the time it hid the record, as the row by row update did.
            await w.WriteAsync(row.DeletedAt is null ? s?.UpdatedAt ?? _now : _now, NpgsqlDbType.TimestampTz, ct);
            await WriteAsync(w, row.DeletedAt, NpgsqlDbType.TimestampTz, ct);
            await w.WriteAsync(row.Version, NpgsqlDbType.Bigint, ct);
        }
        await w.CompleteAsync(ct);
    }

    private async Task CopyPicturesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var w = await conn.BeginBinaryImportAsync("""
            COPY apply_pictures (ord, id, origin, account_id, sequence_id, rank, lon, lat, captured_at, utc_offset, heading, pitch, roll, kind,
                camera_make, camera_model, focal, fov, width, height, gps_accuracy, density, sha, file_name, file_size, license, exif, semantics,
                remote, tile_cols, tile_rows, status, created_at, updated_at, deleted_at, version) FROM STDIN (FORMAT BINARY)
            """, ct);
        foreach (var row in _pictures.Values)
        {
            var p = row.Data;
            await w.StartRowAsync(ct);
            await w.WriteAsync(row.Order, NpgsqlDbType.Integer, ct);
            await w.WriteAsync(p.Id, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(row.Origin, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(p.AccountId, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(p.SequenceId, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(p.Rank, NpgsqlDbType.Integer, ct);
            await w.WriteAsync(p.Lon, NpgsqlDbType.Double, ct);
            await w.WriteAsync(p.Lat, NpgsqlDbType.Double, ct);
            await w.WriteAsync(p.CapturedAt, NpgsqlDbType.TimestampTz, ct);
            await WriteAsync(w, p.UtcOffsetMinutes, NpgsqlDbType.Smallint, ct);
            await WriteAsync(w, p.Heading, NpgsqlDbType.Double, ct);
            await WriteAsync(w, p.Pitch, NpgsqlDbType.Double, ct);
            await WriteAsync(w, p.Roll, NpgsqlDbType.Double, ct);
            await w.WriteAsync(p.Is360 ? "equirectangular" : "flat", NpgsqlDbType.Text, ct);
            await WriteAsync(w, p.CameraMake, NpgsqlDbType.Text, ct);
            await WriteAsync(w, p.CameraModel, NpgsqlDbType.Text, ct);
            await WriteAsync(w, p.FocalLength, NpgsqlDbType.Double, ct);
            await WriteAsync(w, p.FieldOfView, NpgsqlDbType.Double, ct);
            await w.WriteAsync(p.Width, NpgsqlDbType.Integer, ct);
            await w.WriteAsync(p.Height, NpgsqlDbType.Integer, ct);
            await WriteAsync(w, p.GpsAccuracy, NpgsqlDbType.Double, ct);
            await WriteAsync(w, p.HorizontalPixelDensity, NpgsqlDbType.Integer, ct);
            // The content hash is not public; a stand-in derived from the id keeps the column meaningful for dedup scans.
            await w.WriteAsync(SHA256.HashData(p.Id.ToByteArray()), NpgsqlDbType.Bytea, ct);
            await w.WriteAsync(p.OriginalFileName.Length <= 255 ? p.OriginalFileName : p.OriginalFileName[..255], NpgsqlDbType.Text, ct);
            await w.WriteAsync(p.OriginalFileSize, NpgsqlDbType.Bigint, ct);
            await WriteAsync(w, p.License, NpgsqlDbType.Text, ct);
            await w.WriteAsync(p.ExifJson, NpgsqlDbType.Text, ct);
            await w.WriteAsync(p.SemanticsJson, NpgsqlDbType.Text, ct);
            await w.WriteAsync(p.RemoteAssetsJson, NpgsqlDbType.Text, ct);
            await WriteAsync(w, p.TileCols, NpgsqlDbType.Integer, ct);
            await WriteAsync(w, p.TileRows, NpgsqlDbType.Integer, ct);
            await w.WriteAsync(row.DeletedAt is null ? "ready" : "deleted", NpgsqlDbType.Text, ct);
            await w.WriteAsync(p.CreatedAt, NpgsqlDbType.TimestampTz, ct);
            await w.WriteAsync(row.DeletedAt is null ? p.UpdatedAt : _now, NpgsqlDbType.TimestampTz, ct);
            await WriteAsync(w, row.DeletedAt, NpgsqlDbType.TimestampTz, ct);
            await w.WriteAsync(row.Version, NpgsqlDbType.Bigint, ct);
        }
        await w.CompleteAsync(ct);
    }

    private const string DirectEntriesCopy = """
        COPY change_log (origin_instance_id, seq, entity_kind, entity_id, op, entity_version, payload, payload_hash, prev_hash, signature,
                         entry_hash, created_at, sealed_at) FROM STDIN (FORMAT BINARY)
        """;

    private const string StagedEntriesCopy = """
        COPY apply_entries (origin, seq, entity_kind, entity_id, op, entity_version, payload, payload_hash, prev_hash, signature, entry_hash,
                            created_at) FROM STDIN (FORMAT BINARY)
        """;

    private async Task CopyEntriesAsync(NpgsqlConnection conn, string copy, CancellationToken ct)
    {
        var direct = ReferenceEquals(copy, DirectEntriesCopy);
        await using var w = await conn.BeginBinaryImportAsync(copy, ct);
        foreach (var e in _entries)
        {
            await w.StartRowAsync(ct);
            await w.WriteAsync(e.OriginInstanceId, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(e.Seq, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(e.EntityKind.ToApiName(), NpgsqlDbType.Text, ct);
            await w.WriteAsync(e.EntityId, NpgsqlDbType.Uuid, ct);
            await w.WriteAsync(e.Op.ToApiName(), NpgsqlDbType.Text, ct);
            await w.WriteAsync(e.EntityVersion, NpgsqlDbType.Bigint, ct);
            await WriteAsync(w, e.Payload, NpgsqlDbType.Text, ct);
            await WriteAsync(w, e.PayloadHash, NpgsqlDbType.Bytea, ct);
            await WriteAsync(w, e.PrevHash, NpgsqlDbType.Bytea, ct);
            await WriteAsync(w, e.Signature, NpgsqlDbType.Bytea, ct);
            await WriteAsync(w, e.EntryHash, NpgsqlDbType.Bytea, ct);
            await w.WriteAsync(e.CreatedAt, NpgsqlDbType.TimestampTz, ct);
            if (direct)
            {
                await w.WriteAsync(_now, NpgsqlDbType.TimestampTz, ct);
            }
        }
        await w.CompleteAsync(ct);
    }

    private static Task WriteAsync<T>(NpgsqlBinaryImporter w, T? value, NpgsqlDbType type, CancellationToken ct) where T : class =>
        value is null ? w.WriteNullAsync(ct) : w.WriteAsync(value, type, ct);

    private static Task WriteAsync<T>(NpgsqlBinaryImporter w, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct =>
        value is { } v ? w.WriteAsync(v, type, ct) : w.WriteNullAsync(ct);

    private sealed class SequenceRow(Guid id, Guid origin, Guid accountId, SequenceCopy? data, long version)
    {
        public Guid Id { get; } = id;
        public Guid Origin { get; } = origin;
        public Guid AccountId { get; } = accountId;
        /// <summary>Null for a stub.</summary>
        public SequenceCopy? Data { get; } = data;
        public long Version { get; set; } = version;
        public DateTimeOffset? DeletedAt { get; set; }
    }

    private sealed class PictureRow(int order, Guid origin, PictureCopy data, long version)
    {
        public int Order { get; } = order;
        public Guid Origin { get; } = origin;
        public PictureCopy Data { get; } = data;
        public long Version { get; set; } = version;
        public DateTimeOffset? DeletedAt { get; set; }
    }
}
