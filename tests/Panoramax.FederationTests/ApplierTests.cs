using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Sync;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Sequences;

namespace Panoramax.FederationTests;

/// <summary>One migrated database of the test cluster and the real applier on it (no host needed: entries arrive verified).</summary>
public sealed class ApplierDatabase : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public ChangeApplier Applier { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync("applier");
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        Applier = new ChangeApplier(DataSource, TimeProvider.System, NullLogger<ChangeApplier>.Instance);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await TestCluster.DropDatabaseAsync(ConnectionString);
    }
}

/// <summary>
/// The set-based applier against the rules of federation-spec §3.4 where one batch holds several entries of one record:
/// only the last decided state of each record is written, in one statement per table.
/// </summary>
public sealed class ApplierTests(ApplierDatabase db) : IClassFixture<ApplierDatabase>
{
    private static readonly DateTimeOffset Day = new(2025, 5, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A new origin known here (as a relayed origin), with its own log to append to.</summary>
    private sealed class Origin(ChangeApplier applier, Guid id)
    {
        public Guid Id { get; } = id;
        public Guid Account { get; } = Guid.CreateVersion7();
        public long Seq { get; private set; }

        public ChangeLogEntry Upsert(EntityKind kind, Guid entity, long version, string payload) => Entry(kind, entity, ChangeOp.Upsert, version, payload);

        public ChangeLogEntry Tombstone(EntityKind kind, Guid entity, long version) => Entry(kind, entity, ChangeOp.Tombstone, version, null);

        public ChangeLogEntry Entry(EntityKind kind, Guid entity, ChangeOp op, long version, string? payload) => new()
        {
            OriginInstanceId = Id, Seq = ++Seq, EntityKind = kind, EntityId = entity, Op = op, EntityVersion = version, Payload = payload,
            PayloadHash = payload is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(payload)),
            PrevHash = new byte[32], EntryHash = RandomNumberGenerator.GetBytes(32), CreatedAt = Day,
        };

        public async Task<ApplyResult> ApplyAsync(params ChangeLogEntry[] entries) =>
            await applier.ApplyAsync(Id, Id, entries, Seq, CancellationToken.None);
    }

    private async Task<Origin> NewOriginAsync(ChangeApplier? applier = null)
    {
        var id = Guid.CreateVersion7();
        await ExecAsync("""
            INSERT INTO instances (id, name, is_self, trust, last_seq, is_peer, rejected_entries, created_at, updated_at)
            VALUES (@id, 'origin', false, 'trusted', 0, false, 0, now(), now())
            """, ("id", id));
        return new Origin(applier ?? db.Applier, id);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Picture(Guid id, Guid sequence, Guid account, int rank, double lon, string camera = "P6000") => Inv($$"""
        {"type":"Feature","id":"{{id}}","collection":"{{sequence}}","geometry":{"type":"Point","coordinates":[{{lon}},45.5]},
         "properties":{"datetime":"{{Day.AddSeconds(rank).ToString("O", CultureInfo.InvariantCulture)}}","geovisio:rank_in_collection":{{rank}},
           "providers":[{"name":"walker","roles":["producer"],"id":"{{account}}"}],"quality:horizontal_accuracy":{{rank}},
           "pers:interior_orientation":{"camera_manufacturer":"NIKON","camera_model":"{{camera}}","field_of_view":70,"sensor_array_dimensions":[640,480]} },
         "assets":{"hd":{"href":"http://o.test/hd/{{id}}.jpg"},"sd":{"href":"http://o.test/sd/{{id}}.jpg"},"thumb":{"href":"http://o.test/t/{{id}}.jpg"} } }
        """);

    private static string Sequence(Guid id, Guid account, string title) => Inv($$"""
        {"type":"Collection","id":"{{id}}","title":"{{title}}","providers":[{"name":"walker","roles":["producer"],"id":"{{account}}"}],
         "created":"2025-05-01T08:00:00Z","updated":"2025-05-01T08:30:00Z"}
        """);

    private async Task ExecAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<List<object?[]>> RowsAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await r.ReadAsync())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < r.FieldCount; i++)
            {
                row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    private async Task<object?[]?> RowAsync(string sql, params (string Name, object Value)[] parameters) =>
        (await RowsAsync(sql, parameters)).SingleOrDefault();

    [Fact]
    public async Task A_role_that_may_not_bypass_triggers_applies_the_same_rows_licence_filter_included()
    {
        // The tests' superuser applies with per-row triggers and foreign-key checks off (the statements compute the
        // licence filter themselves); a plain role applies with them on. Both must leave the same rows.
        var role = "applier_" + Guid.NewGuid().ToString("N")[..8];
        await ExecAsync($"CREATE ROLE {role} LOGIN; GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}");
        await using var plainSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = null }.ConnectionString);
        var plain = new ChangeApplier(plainSource, TimeProvider.System, NullLogger<ChangeApplier>.Instance);

        async Task<(List<object?[]> Pictures, List<object?[]> Sequences)> ApplyWithAsync(ChangeApplier applier)
        {
            var o = await NewOriginAsync(applier);
            await ExecAsync("UPDATE instances SET accepted_licenses = ARRAY['CC-BY-SA-4.0'] WHERE id = @id", ("id", o.Id));
            var (filtered, accepted) = (Guid.CreateVersion7(), Guid.CreateVersion7());
            ChangeLogEntry Pic(Guid sequence, int rank, double lon, string? licence)
            {
                var id = Guid.CreateVersion7();
                var payload = Picture(id, sequence, o.Account, rank, lon);
                return o.Upsert(EntityKind.Picture, id, 1, licence is null ? payload
                    : payload.Replace("\"properties\":{", $"\"properties\":{{\"license\":\"{licence}\",", StringComparison.Ordinal));
            }
            var result = await o.ApplyAsync(
                o.Upsert(EntityKind.Sequence, filtered, 1, Sequence(filtered, o.Account, "other licence").Replace("\"title\"", "\"license\":\"CC-BY-4.0\",\"title\"", StringComparison.Ordinal)),
                o.Upsert(EntityKind.Sequence, accepted, 1, Sequence(accepted, o.Account, "accepted").Replace("\"title\"", "\"license\":\"cc-by-sa-4.0\",\"title\"", StringComparison.Ordinal)),
                Pic(accepted, 1, 1.0, "cc-by-sa-4.0"),
                Pic(accepted, 2, 2.0, "etalab-2.0"),
                Pic(accepted, 3, 3.0, null),
                // A picture before its sequence: the stub has no licence yet, so the filter hides it until the sequence comes.
                Pic(Guid.CreateVersion7(), 1, 4.0, "CC-BY-SA-4.0"));
            Assert.Equal(0, result.Rejected);
            return (await RowsAsync("SELECT rank, license, license_filtered, status, version, ST_X(location) FROM pictures WHERE origin_instance_id = @o ORDER BY ST_X(location)", ("o", o.Id)),
                    await RowsAsync("SELECT title, license, license_filtered FROM sequences WHERE origin_instance_id = @o ORDER BY title", ("o", o.Id)));
        }

        var bypassing = await ApplyWithAsync(db.Applier);
        var checking = await ApplyWithAsync(plain);

        Assert.Equal(new[] { false, true, false, false }, bypassing.Pictures.Select(r => (bool)r[2]!));
        Assert.Equal(new object?[] { "", null, true }, bypassing.Sequences[0]);
        Assert.Equal(new object?[] { "accepted", "cc-by-sa-4.0", false }, bypassing.Sequences[1]);
        Assert.Equal(new object?[] { "other licence", "CC-BY-4.0", true }, bypassing.Sequences[2]);
        Assert.Equal(bypassing.Pictures, checking.Pictures);
        Assert.Equal(bypassing.Sequences, checking.Sequences);
    }

    [Fact]
    public async Task Several_entries_of_one_record_in_one_batch_leave_its_last_state()
    {
        var o = await NewOriginAsync();
        var (seq, pic) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var result = await o.ApplyAsync(
            o.Upsert(EntityKind.Account, o.Account, 0, HostilePeer.AccountPayload(o.Account, "first name")),
            o.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, o.Account, "draft")),
            o.Upsert(EntityKind.Picture, pic, 1, Picture(pic, seq, o.Account, 1, 1.0)),
            o.Upsert(EntityKind.Picture, pic, 3, Picture(pic, seq, o.Account, 1, 3.0)),
            o.Upsert(EntityKind.Picture, pic, 2, Picture(pic, seq, o.Account, 1, 2.0)), // older than what the batch already holds
            o.Upsert(EntityKind.Sequence, seq, 2, Sequence(seq, o.Account, "final")),
            o.Upsert(EntityKind.Account, o.Account, 0, HostilePeer.AccountPayload(o.Account, "renamed")));

        Assert.Equal(new ApplyResult(7, 0, 0, 7), result);
        Assert.Equal(new object?[] { 3L, 3.0, "ready" }, await RowAsync("SELECT version, ST_X(location), status FROM pictures WHERE id = @id", ("id", pic)));
        Assert.Equal(new object?[] { 2L, "final", 1 }, await RowAsync("SELECT version, title, picture_count FROM sequences WHERE id = @id", ("id", seq)));
        Assert.Equal("renamed", (await RowAsync("SELECT name FROM accounts WHERE id = @id", ("id", o.Account)))![0]);
        // Every entry is stored byte for byte, the one that changed nothing included.
        var stored = await RowsAsync("SELECT seq, payload, entry_hash FROM change_log WHERE origin_instance_id = @o ORDER BY seq", ("o", o.Id));
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), stored.Select(r => (long)r[0]!));
        Assert.Equal(Picture(pic, seq, o.Account, 1, 2.0), stored[4][1]);
        Assert.Equal(7L, (await RowAsync("SELECT last_seq FROM instances WHERE id = @o", ("o", o.Id)))![0]);
    }

    [Fact]
    public async Task Late_upsert_after_a_tombstone_in_the_same_batch_does_not_bring_the_record_back()
    {
        var o = await NewOriginAsync();
        var (seq, held, neverHeld) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await o.ApplyAsync(
            o.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, o.Account, "walk")),
            o.Upsert(EntityKind.Picture, held, 1, Picture(held, seq, o.Account, 1, 1.0)));
        Assert.Equal(1, (await RowAsync("SELECT picture_count FROM sequences WHERE id = @id", ("id", seq)))![0]);

        // One batch: the held picture is tombstoned, then a late upsert (version ≤ the tombstone's) comes; a picture never
        // held here is tombstoned then upserted late too. Neither may show.
        var result = await o.ApplyAsync(
            o.Tombstone(EntityKind.Picture, held, 2),
            o.Upsert(EntityKind.Picture, held, 2, Picture(held, seq, o.Account, 1, 9.0)),
            o.Tombstone(EntityKind.Picture, neverHeld, 5),
            o.Upsert(EntityKind.Picture, neverHeld, 4, Picture(neverHeld, seq, o.Account, 2, 2.0)),
            o.Upsert(EntityKind.Picture, neverHeld, 5, Picture(neverHeld, seq, o.Account, 2, 2.0)));
        Assert.Equal(0, result.Rejected);
        Assert.Equal(new object?[] { 2L, 1.0, "deleted", true }, await RowAsync("SELECT version, ST_X(location), status, deleted_at IS NOT NULL FROM pictures WHERE id = @id", ("id", held)));
        Assert.Null(await RowAsync("SELECT 1 FROM pictures WHERE id = @id", ("id", neverHeld)));
        Assert.Equal(0, (await RowAsync("SELECT picture_count FROM sequences WHERE id = @id", ("id", seq)))![0]);

        // An upsert then a tombstone of the same record in one batch: the record is written hidden, at the tombstone's version.
        var brief = Guid.CreateVersion7();
        await o.ApplyAsync(
            o.Upsert(EntityKind.Picture, brief, 1, Picture(brief, seq, o.Account, 3, 3.0)),
            o.Tombstone(EntityKind.Picture, brief, 1));
        Assert.Equal(new object?[] { 1L, "deleted", true }, await RowAsync("SELECT version, status, deleted_at IS NOT NULL FROM pictures WHERE id = @id", ("id", brief)));

        // A newer upsert (the origin published it again) does bring it back.
        await o.ApplyAsync(o.Upsert(EntityKind.Picture, held, 3, Picture(held, seq, o.Account, 1, 7.0)));
        Assert.Equal(new object?[] { 3L, 7.0, "ready", false }, await RowAsync("SELECT version, ST_X(location), status, deleted_at IS NOT NULL FROM pictures WHERE id = @id", ("id", held)));
        Assert.Equal(1, (await RowAsync("SELECT picture_count FROM sequences WHERE id = @id", ("id", seq)))![0]);
    }

    [Fact]
    public async Task Pictures_before_their_sequence_in_the_same_batch_get_the_sequence_as_published()
    {
        var o = await NewOriginAsync();
        var (seq, p1, p2) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await o.ApplyAsync(
            o.Upsert(EntityKind.Picture, p1, 1, Picture(p1, seq, o.Account, 1, 1.0)),
            o.Upsert(EntityKind.Picture, p2, 1, Picture(p2, seq, o.Account, 2, 1.001)),
            o.Upsert(EntityKind.Sequence, seq, 4, Sequence(seq, o.Account, "came last")));
        Assert.Equal(new object?[] { 4L, "came last", 2, "ready", "walker" },
            await RowAsync("SELECT s.version, s.title, s.picture_count, s.status, a.name FROM sequences s JOIN accounts a ON a.id = s.account_id WHERE s.id = @id", ("id", seq)));

        // Across batches: a version-0 stub first, replaced when the sequence's own entry arrives.
        var (later, p3) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await o.ApplyAsync(o.Upsert(EntityKind.Picture, p3, 1, Picture(p3, later, o.Account, 1, 2.0)));
        Assert.Equal(new object?[] { 0L, "", 1 }, await RowAsync("SELECT version, title, picture_count FROM sequences WHERE id = @id", ("id", later)));
        await o.ApplyAsync(o.Upsert(EntityKind.Sequence, later, 1, Sequence(later, o.Account, "arrived")));
        Assert.Equal(new object?[] { 1L, "arrived", 1 }, await RowAsync("SELECT version, title, picture_count FROM sequences WHERE id = @id", ("id", later)));
    }

    [Fact]
    public async Task A_picture_takes_the_rank_of_one_tombstoned_earlier_in_the_same_batch()
    {
        var o = await NewOriginAsync();
        var (seq, old, replacement) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await o.ApplyAsync(
            o.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, o.Account, "walk")),
            o.Upsert(EntityKind.Picture, old, 1, Picture(old, seq, o.Account, 1, 1.0)));
        // The unique (sequence, rank) of live pictures holds row by row: the tombstone is written before the new picture.
        await o.ApplyAsync(
            o.Tombstone(EntityKind.Picture, old, 1),
            o.Upsert(EntityKind.Picture, replacement, 1, Picture(replacement, seq, o.Account, 1, 1.5)));
        Assert.Equal("deleted", (await RowAsync("SELECT status FROM pictures WHERE id = @id", ("id", old)))![0]);
        Assert.Equal(new object?[] { "ready", 1 }, await RowAsync("SELECT status, rank FROM pictures WHERE id = @id", ("id", replacement)));
    }

    [Fact]
    public async Task Records_of_another_origin_unreadable_and_pruned_payloads_are_stored_but_not_applied()
    {
        var owner = await NewOriginAsync();
        var (seq, pic) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await owner.ApplyAsync(
            owner.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, owner.Account, "owner's")),
            owner.Upsert(EntityKind.Picture, pic, 1, Picture(pic, seq, owner.Account, 1, 1.0)));

        var other = await NewOriginAsync();
        var (unreadable, pruned) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var result = await other.ApplyAsync(
            other.Upsert(EntityKind.Picture, pic, 9, Picture(pic, seq, other.Account, 1, 9.0)),
            other.Tombstone(EntityKind.Sequence, seq, 9),
            other.Upsert(EntityKind.Picture, unreadable, 1, """{"type":"Feature","id":"not even a uuid"}"""),
            other.Entry(EntityKind.Picture, pruned, ChangeOp.Upsert, 1, null),
            other.Upsert(EntityKind.Account, other.Account, 0, HostilePeer.AccountPayload(other.Account, "other")));
        Assert.Equal(new ApplyResult(5, 0, 2, 5), result);
        Assert.Equal(new object?[] { 1L, 1.0, owner.Id }, await RowAsync("SELECT version, ST_X(location), origin_instance_id FROM pictures WHERE id = @id", ("id", pic)));
        Assert.Equal(new object?[] { 1L, "ready" }, await RowAsync("SELECT version, status FROM sequences WHERE id = @id", ("id", seq)));
        Assert.Empty(await RowsAsync("SELECT 1 FROM pictures WHERE id = ANY(@ids)", ("ids", new[] { unreadable, pruned })));
        Assert.Equal(5L, (await RowAsync("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", other.Id)))![0]);
        Assert.Equal("other", (await RowAsync("SELECT name FROM accounts WHERE id = @id", ("id", other.Account)))![0]);
    }

    [Fact]
    public async Task Payloads_with_text_PostgreSQL_cannot_store_are_kept_in_the_log_and_the_rest_of_the_batch_applies()
    {
        // Another implementation may store and sign a NUL or a lone surrogate; PostgreSQL takes neither in text or jsonb.
        // Such an entry must not stop the stream for ever: it is stored (relayed unchanged) and not applied.
        var o = await NewOriginAsync();
        var (seq, nulTitle, good, nulExif, surrogate, named) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        var exif = Picture(nulExif, seq, o.Account, 2, 2.0).Replace("\"quality:horizontal_accuracy\"", "\"exif\":{\"Exif.Image.Make\":\"NI\\u0000KON\"},\"quality:horizontal_accuracy\"", StringComparison.Ordinal);
        Assert.Contains("\\u0000", exif, StringComparison.Ordinal);
        var result = await o.ApplyAsync(
            o.Upsert(EntityKind.Sequence, nulTitle, 1, Sequence(nulTitle, o.Account, "wa\\u0000lk")),
            o.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, o.Account, "walk")),
            o.Upsert(EntityKind.Picture, good, 1, Picture(good, seq, o.Account, 1, 1.0)),
            o.Upsert(EntityKind.Picture, nulExif, 1, exif),
            o.Upsert(EntityKind.Picture, surrogate, 1, Picture(surrogate, seq, o.Account, 3, 3.0, camera: "P\\ud800")),
            o.Upsert(EntityKind.Account, named, 0, HostilePeer.AccountPayload(named, "nul\\u0000name")));
        Assert.Equal(new ApplyResult(6, 0, 0, 6), result);
        Assert.Equal(new object?[] { 1L, "walk", 1 }, await RowAsync("SELECT version, title, picture_count FROM sequences WHERE id = @id", ("id", seq)));
        Assert.Single(await RowsAsync("SELECT 1 FROM pictures WHERE id = @id", ("id", good)));
        Assert.Empty(await RowsAsync("SELECT 1 FROM pictures WHERE id = ANY(@ids)", ("ids", new[] { nulExif, surrogate })));
        Assert.Empty(await RowsAsync("SELECT 1 FROM sequences WHERE id = @id", ("id", nulTitle)));
        Assert.Empty(await RowsAsync("SELECT 1 FROM accounts WHERE id = @id", ("id", named)));
        Assert.Equal(6L, (await RowAsync("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", o.Id)))![0]);
    }

    [Fact]
    public async Task Pictures_placed_outside_the_earth_or_with_files_not_on_the_web_are_kept_in_the_log_and_not_applied()
    {
        var o = await NewOriginAsync();
        var seq = Guid.CreateVersion7();
        var (good, east, north, script) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        var result = await o.ApplyAsync(
            o.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, o.Account, "walk")),
            o.Upsert(EntityKind.Picture, good, 1, Picture(good, seq, o.Account, 1, 179.5)),
            o.Upsert(EntityKind.Picture, east, 1, Picture(east, seq, o.Account, 2, 400.0)),
            o.Upsert(EntityKind.Picture, north, 1, Picture(north, seq, o.Account, 3, 1.0).Replace(",45.5]", ",100.5]", StringComparison.Ordinal)),
            o.Upsert(EntityKind.Picture, script, 1, Picture(script, seq, o.Account, 4, 1.5).Replace($"\"http://o.test/t/{script}.jpg\"", "\"javascript:alert(1)\"", StringComparison.Ordinal)));
        Assert.Equal(new ApplyResult(5, 0, 0, 5), result);
        Assert.Single(await RowsAsync("SELECT 1 FROM pictures WHERE id = @id", ("id", good)));
        Assert.Empty(await RowsAsync("SELECT 1 FROM pictures WHERE id = ANY(@ids)", ("ids", new[] { east, north, script })));
        Assert.Equal(new object?[] { 1 }, await RowAsync("SELECT picture_count FROM sequences WHERE id = @id", ("id", seq)));
    }

    [Fact]
    public async Task Entries_applied_off_the_cursor_keep_what_is_stored_and_the_rules()
    {
        var o = await NewOriginAsync();
        var (seq, pic) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var first = o.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, o.Account, "walk"));
        var second = o.Upsert(EntityKind.Picture, pic, 2, Picture(pic, seq, o.Account, 1, 2.0));
        await o.ApplyAsync(first, second);

        // A repair replays entry 2 (already stored: kept as is) with an older version of the picture and a new picture.
        var older = o.Upsert(EntityKind.Picture, pic, 1, Picture(pic, seq, o.Account, 1, 1.0));
        older.Seq = 2;
        var added = Guid.CreateVersion7();
        var third = o.Upsert(EntityKind.Picture, added, 1, Picture(added, seq, o.Account, 2, 2.001));
        await using var session = await db.Applier.BeginAsync(o.Id, CancellationToken.None);
        var result = await session.ApplyRecordsAsync([third, older], CancellationToken.None);
        await session.CommitAsync(null, 0, CancellationToken.None);

        Assert.Equal(2L, result.LastSeq);
        Assert.Equal(2L, (await RowAsync("SELECT version FROM pictures WHERE id = @id", ("id", pic)))![0]);
        Assert.Equal(second.EntryHash, (await RowAsync("SELECT entry_hash FROM change_log WHERE origin_instance_id = @o AND seq = 2", ("o", o.Id)))![0]);
        Assert.Equal(2, (await RowAsync("SELECT picture_count FROM sequences WHERE id = @id", ("id", seq)))![0]);
    }

    [Fact]
    public async Task Batches_on_one_lent_connection_and_runs_of_one_transaction_write_each_record_once()
    {
        var o = await NewOriginAsync();
        var seq = Guid.CreateVersion7();
        var pics = Enumerable.Range(0, 6).Select(_ => Guid.CreateVersion7()).ToArray();
        ChangeLogEntry Pic(int i) => o.Upsert(EntityKind.Picture, pics[i], 1, Picture(pics[i], seq, o.Account, i + 1, 2.0 + i * 0.001));
        var ct = CancellationToken.None;
        await using var conn = await db.DataSource.OpenConnectionAsync(ct);

        // A stream's batch on the connection the synchronizer lends (the staging tables stay on it, empty).
        await db.Applier.ApplyAsync(o.Id, o.Id, ChangeApplier.Prepare([o.Upsert(EntityKind.Sequence, seq, 1, Sequence(seq, o.Account, "walk")), Pic(0), Pic(1)]), 3, ct, conn);
        // A batch whose transaction fails leaves nothing behind, neither rows nor staged rows.
        var lost = Pic(2);
        await using (var failed = await db.Applier.BeginAsync(o.Id, ct, conn))
        {
            await failed.ApplyAsync([lost], ct);
        }
        Assert.Equal(2L, (await RowAsync("SELECT count(*) FROM pictures WHERE sequence_id = @s", ("s", seq)))![0]);
        // Two runs in one transaction (as the legacy harvester applies a collection page by page), then the commit.
        await using (var session = await db.Applier.BeginAsync(o.Id, ct, conn))
        {
            await session.ApplyAsync([lost, Pic(3)], ct);
            await session.ApplyAsync([Pic(4), Pic(5)], ct);
            await session.CommitAsync(null, 0, ct);
        }

        Assert.Equal(System.Data.ConnectionState.Open, conn.State);
        Assert.Equal(pics.Order().Select(p => (object?)p), (await RowsAsync("SELECT id FROM pictures WHERE sequence_id = @s ORDER BY id", ("s", seq))).Select(r => r[0]));
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (object?)(long)i),
            (await RowsAsync("SELECT seq FROM change_log WHERE origin_instance_id = @o ORDER BY seq", ("o", o.Id))).Select(r => r[0]));
        Assert.Equal(7L, (await RowAsync("SELECT last_seq FROM instances WHERE id = @o", ("o", o.Id)))![0]);
        Assert.Equal(6, (await RowAsync("SELECT picture_count FROM sequences WHERE id = @id", ("id", seq)))![0]);
        await using var staged = new NpgsqlCommand("SELECT (SELECT count(*) FROM apply_pictures) + (SELECT count(*) FROM apply_entries)", conn);
        Assert.Equal(0L, await staged.ExecuteScalarAsync(ct));
    }

    [Fact]
    public async Task Set_based_sequence_aggregates_equal_the_per_sequence_ones()
    {
        var o = await NewOriginAsync();
        var (walk, single, emptied, untouched) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        var entries = new List<ChangeLogEntry>();
        foreach (var s in new[] { walk, single, emptied, untouched })
        {
            entries.Add(o.Upsert(EntityKind.Sequence, s, 1, Sequence(s, o.Account, "s")));
        }
        for (var i = 1; i <= 5; i++)
        {
            var id = Guid.CreateVersion7();
            entries.Add(o.Upsert(EntityKind.Picture, id, 1, Picture(id, walk, o.Account, i, 1.0 + (i * 0.0003 * (i % 2 == 0 ? 1 : -1)), i <= 2 ? "A" : "B")));
        }
        var lone = Guid.CreateVersion7();
        entries.Add(o.Upsert(EntityKind.Picture, lone, 1, Picture(lone, single, o.Account, 1, 4.0)));
        var gone = Guid.CreateVersion7();
        entries.Add(o.Upsert(EntityKind.Picture, gone, 1, Picture(gone, emptied, o.Account, 1, 5.0)));
        entries.Add(o.Tombstone(EntityKind.Picture, gone, 1));
        await o.ApplyAsync([.. entries]);

        const string Derived = """
            SELECT id, ST_AsEWKT(geometry), ST_AsEWKT(bbox), min_captured_at, max_captured_at, picture_count, length_km, kind, camera_model,
                   gps_accuracy, horizontal_pixel_density, updated_at, version
            FROM sequences WHERE id = ANY(@ids) ORDER BY id
            """;
        var ids = new[] { walk, single, emptied, untouched };
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var touched = new[] { walk, single, emptied };
        async Task<List<object?[]>> RefreshAsync(bool many)
        {
            await using var conn = await db.DataSource.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            // Start from blank values, so that only the refresh decides what is read back.
            await using (var blank = new NpgsqlCommand("UPDATE sequences SET geometry = NULL, bbox = NULL, picture_count = -1, length_km = -1, kind = NULL, camera_model = NULL WHERE id = ANY(@ids)", conn, tx))
            {
                blank.Parameters.AddWithValue("ids", ids);
                await blank.ExecuteNonQueryAsync();
            }
            if (many)
            {
                await SequenceAggregates.RefreshManyAsync(conn, tx, [.. touched, walk], now, CancellationToken.None);
            }
            else
            {
                foreach (var s in touched)
                {
                    await SequenceAggregates.RefreshAsync(conn, tx, s, now, CancellationToken.None);
                }
            }
            await using var read = new NpgsqlCommand(Derived, conn, tx);
            read.Parameters.AddWithValue("ids", ids);
            var rows = new List<object?[]>();
            await using (var r = await read.ExecuteReaderAsync())
            {
                while (await r.ReadAsync())
                {
                    var row = new object?[r.FieldCount];
                    for (var i = 0; i < r.FieldCount; i++)
                    {
                        row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
                    }
                    rows.Add(row);
                }
            }
            await tx.RollbackAsync();
            return rows;
        }

        var perSequence = await RefreshAsync(many: false);
        var setBased = await RefreshAsync(many: true);
        Assert.Equal(perSequence, setBased);
        var byId = setBased.ToDictionary(r => (Guid)r[0]!);
        Assert.Equal(5, byId[walk][5]);
        Assert.Equal("NIKON B", byId[walk][8]);
        Assert.StartsWith("SRID=4326;LINESTRING(", (string)byId[walk][1]!, StringComparison.Ordinal);
        Assert.Equal(2L, byId[walk][12]); // bumped once, like one call per sequence, although listed twice
        Assert.Equal(1, byId[single][5]);
        Assert.Null(byId[single][1]);
        Assert.Equal(0, byId[emptied][5]);
        Assert.Equal(-1, byId[untouched][5]);
    }
}
