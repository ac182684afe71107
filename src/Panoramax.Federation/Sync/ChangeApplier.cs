using Microsoft.Extensions.Logging;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;
using Panoramax.Persistence.Sequences;

namespace Panoramax.Federation.Sync;

/// <summary>Outcome of one applied batch.</summary>
public sealed record ApplyResult(int Applied, int Skipped, int Rejected, long LastSeq);

/// <summary>
/// Verified entries with their payloads already read. Reading (JSON parsing) is CPU work that needs no database: the
/// synchronizer does it while the previous batch is being written (<see cref="ChangeApplier.Prepare"/>).
/// </summary>
public sealed class PreparedEntries
{
    internal PreparedEntries(IReadOnlyList<ChangeLogEntry> entries, object?[] payloads)
    {
        Entries = entries;
        Payloads = payloads;
    }

    public IReadOnlyList<ChangeLogEntry> Entries { get; }

    /// <summary>Per entry, what <c>ChangeApplier.Parse</c> made of its payload.</summary>
    internal object?[] Payloads { get; }

    public int Count => Entries.Count;
}

/// <summary>
/// Applies verified entries of one origin in one transaction together with the peer cursor: a crash never skips
/// or double-applies. Idempotent by (origin, seq) and by entity id and version; a tombstone is never undone by a
/// late (older or equal version) upsert; a record held with another origin is never overwritten.
/// </summary>
public sealed class ChangeApplier(NpgsqlDataSource db, TimeProvider clock, ILogger<ChangeApplier> logger, IEnumerable<IReplicaChangeListener>? listeners = null)
{
    // Whether our database role may bypass triggers for the apply's own writes (see StagedWrites.FlushAsync); asked once.
    private bool? _bypassTriggers;

    public Task<ApplyResult> ApplyAsync(Guid peer, Guid origin, IReadOnlyList<ChangeLogEntry> entries, long peerMaxSeq, CancellationToken ct) =>
        ApplyAsync(peer, origin, Prepare(entries), peerMaxSeq, ct);

    /// <summary>
    /// Applies one batch of a peer's stream in its own transaction, with the peer's cursor; on <paramref name="connection"/>
    /// when given (a stream's batches share one connection, and with it the staging tables), else on a pooled one.
    /// </summary>
    public async Task<ApplyResult> ApplyAsync(Guid peer, Guid origin, PreparedEntries entries, long peerMaxSeq, CancellationToken ct,
        NpgsqlConnection? connection = null)
    {
        await using var session = await BeginAsync(origin, ct, connection);
        var result = await session.ApplyAsync(entries, ct);
        await session.CommitAsync(peer, peerMaxSeq, ct);
        return result;
    }

    /// <summary>
    /// Opens one transaction for <paramref name="origin"/> (locking its row: one applier per origin at a time) in which
    /// several batches may be applied before <see cref="ApplySession.CommitAsync"/>: the legacy harvester applies a whole
    /// collection, page by page, all or nothing.
    /// </summary>
    public async Task<ApplySession> BeginAsync(Guid origin, CancellationToken ct, NpgsqlConnection? connection = null)
    {
        _bypassTriggers ??= await CanBypassTriggersAsync(ct);
        var conn = connection ?? await db.OpenConnectionAsync(ct);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await conn.BeginTransactionAsync(ct);
            // Two peers may relay the same origin at once: one applier per origin at a time, then re-read where it stands.
            await using var cmd = new NpgsqlCommand("SELECT last_seq FROM instances WHERE id = @o AND NOT is_self FOR UPDATE", conn, tx);
            cmd.Parameters.AddWithValue("o", origin);
            var current = await cmd.ExecuteScalarAsync(ct) is long l ? l : throw new InvalidOperationException($"Origin {origin} is not known here.");
            return new ApplySession(this, conn, tx, origin, current, clock.GetUtcNow())
            {
                BypassTriggers = _bypassTriggers.Value,
                OwnsConnection = connection is null,
            };
        }
        catch
        {
            if (tx is not null)
            {
                await tx.DisposeAsync();
            }
            if (connection is null)
            {
                await conn.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>
    /// A superuser, or a role granted <c>SET</c> on <c>session_replication_role</c> (PostgreSQL 15+), may switch off
    /// per-row foreign-key checks and triggers for the apply's writes; any other role applies with them (same result, slower).
    /// </summary>
    private async Task<bool> CanBypassTriggersAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var super = new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", conn))
        {
            if (await super.ExecuteScalarAsync(ct) is true)
            {
                return true;
            }
        }
        try
        {
            await using var granted = new NpgsqlCommand("SELECT has_parameter_privilege('session_replication_role', 'SET')", conn);
            return await granted.ExecuteScalarAsync(ct) is true;
        }
        catch (PostgresException e)
        {
            // Before PostgreSQL 15 there is no such privilege to grant.
            logger.LogInformation("Applying peers' entries with per-row triggers: {Reason}", e.MessageText);
            return false;
        }
    }

    /// <summary>Reads the payloads of <paramref name="entries"/> (no database involved).</summary>
    public static PreparedEntries Prepare(IReadOnlyList<ChangeLogEntry> entries)
    {
        var payloads = new object?[entries.Count];
        for (var i = 0; i < payloads.Length; i++)
        {
            payloads[i] = Parse(entries[i]);
        }
        return new PreparedEntries(entries, payloads);
    }

    internal async Task<ApplyResult> ApplyBatchAsync(ApplySession s, PreparedEntries prepared, CancellationToken ct)
    {
        // The contiguous run after the cursor; the rest is skipped (already applied) or left for the next pull (a gap).
        var entries = prepared.Entries;
        var run = new List<ChangeLogEntry>(entries.Count);
        var parsed = new List<object?>(entries.Count);
        var skipped = 0;
        var current = s.Seq;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
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
            parsed.Add(prepared.Payloads[i]);
            current = e.Seq;
        }
        var (applied, rejected) = await ApplyRunAsync(s, run, parsed, ct);
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
        var (applied, rejected) = await ApplyRunAsync(s, run, Prepare(run).Payloads, ct);
        return new ApplyResult(applied, 0, rejected, s.Seq);
    }

    /// <summary>Decides and writes a run of entries in seq order (the records, then each entry stored byte for byte).</summary>
    private async Task<(int Applied, int Rejected)> ApplyRunAsync(ApplySession s, List<ChangeLogEntry> run, IReadOnlyList<object?> parsed, CancellationToken ct)
    {
        if (run.Count == 0)
        {
            return (0, 0);
        }
        s.RecordsWritten = true;
        // Each payload was parsed once (Prepare), everything the decisions need is read in one round trip, the decisions
        // are taken in memory, and the last state of each record goes out set-based (see StagedWrites).
        var t1 = clock.GetTimestamp();
        var state = await BatchState.LoadAsync(s.Connection, s.Transaction, run, parsed, ct);
        var t2 = clock.GetTimestamp();

        var writes = new StagedWrites(s.Now);
        int applied = 0, rejected = 0;
        for (var i = 0; i < run.Count; i++)
        {
            var e = run[i];
            if (!Decide(e, parsed[i], state, writes, s.TouchedSequences))
            {
                rejected++;
                logger.LogWarning("Refused entry {Origin}/{Seq}: {Kind} {Entity} belongs to another origin", s.Origin, e.Seq, e.EntityKind, e.EntityId);
            }
            writes.Entry(e);
            if (e.Op == ChangeOp.Tombstone)
            {
                state.RecordTombstone(e.EntityKind, e.EntityId, e.EntityVersion);
            }
            applied++;
        }
        var t3 = clock.GetTimestamp();
        // The first run of a transaction makes sure the staging tables exist on this connection (empty: a commit or a
        // rollback empties them); a later run of the same transaction empties what the previous run left.
        await using (var staging = new NpgsqlCommand(s.StagingUsed ? StagedWrites.TruncateSql : StagedWrites.CreateSql, s.Connection, s.Transaction))
        {
            await staging.ExecuteNonQueryAsync(ct);
        }
        s.StagingUsed = true;
        var t4 = clock.GetTimestamp();
        // Straight into the log when none of the run is stored yet and no seq repeats (a cursor run always).
        var entriesNew = !state.EntriesStored && run.Zip(run.Skip(1)).All(p => p.First.Seq < p.Second.Seq);
        var copy = await writes.FlushAsync(s.Connection, s.Transaction, entriesNew, s.BypassTriggers, clock, ct);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug(
                "Applied {Count} entries of {Origin}: load {Load:F1} ms, decide {Decide:F1} ms, staging tables {Create:F1} ms, COPY {Copy:F1} ms, upserts {Upserts:F1} ms",
                run.Count, s.Origin, clock.GetElapsedTime(t1, t2).TotalMilliseconds,
                clock.GetElapsedTime(t2, t3).TotalMilliseconds, clock.GetElapsedTime(t3, t4).TotalMilliseconds, copy.TotalMilliseconds,
                (clock.GetElapsedTime(t4) - copy).TotalMilliseconds);
        }
        return (applied, rejected);
    }

    internal async Task CommitAsync(ApplySession s, Guid? peer, long peerMaxSeq, CancellationToken ct)
    {
        var (conn, tx, now) = (s.Connection, s.Transaction, s.Now);
        var t0 = clock.GetTimestamp();
        await SequenceAggregates.RefreshManyAsync(conn, tx, s.TouchedSequences, now, ct, bumpVersion: false);
        var t1 = clock.GetTimestamp();
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
        if (s.RecordsWritten)
        {
            TellListeners();
        }
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Committed {Origin} at {Seq}: aggregates of {Sequences} sequences {Aggregates:F1} ms, cursor and commit {Commit:F1} ms",
                s.Origin, s.Seq, s.TouchedSequences.Count, clock.GetElapsedTime(t0, t1).TotalMilliseconds, clock.GetElapsedTime(t1).TotalMilliseconds);
        }
    }

    private void TellListeners()
    {
        foreach (var listener in listeners ?? [])
        {
            try
            {
                listener.OnReplicaChanged();
            }
            catch (Exception e)
            {
                // The records are committed: a listener's failure must not make the sync retry them.
                logger.LogWarning(e, "A listener failed after replicated records were committed");
            }
        }
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
    private bool Decide(ChangeLogEntry e, object? payload, BatchState state, StagedWrites writes, HashSet<Guid> touched)
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
                writes.Tombstone(e.EntityKind, e.EntityId, e.EntityVersion);
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
                return UpsertPicture(e, p, state, writes, touched);
            case SequenceCopy s:
                return UpsertSequence(e, s, state, writes, touched);
            case ValueTuple<Guid, string> account:
                return account.Item1 == e.EntityId && EnsureAccount(e.OriginInstanceId, account.Item1, account.Item2, state, writes);
            default:
                return true;
        }
    }

    /// <summary>Creates or renames the origin's account; false if that id is an account of another origin.</summary>
    private static bool EnsureAccount(Guid origin, Guid id, string name, BatchState state, StagedWrites writes)
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
        writes.Account(id, origin, name);
        state.Set(EntityKind.Account, id, new RecordState(origin, 0));
        return true;
    }

    private static bool UpsertSequence(ChangeLogEntry e, SequenceCopy s, BatchState state, StagedWrites writes, HashSet<Guid> touched)
    {
        if (s.Id != e.EntityId || !EnsureAccount(e.OriginInstanceId, s.AccountId, s.AccountName, state, writes))
        {
            return false;
        }
        writes.Sequence(e.OriginInstanceId, s, e.EntityVersion);
        state.Set(EntityKind.Sequence, s.Id, new RecordState(e.OriginInstanceId, e.EntityVersion));
        touched.Add(s.Id);
        return true;
    }

    private static bool UpsertPicture(ChangeLogEntry e, PictureCopy p, BatchState state, StagedWrites writes, HashSet<Guid> touched)
    {
        if (p.Id != e.EntityId || !EnsureAccount(e.OriginInstanceId, p.AccountId, p.AccountName, state, writes))
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
            writes.SequenceStub(p.SequenceId, e.OriginInstanceId, p.AccountId);
            state.Set(EntityKind.Sequence, p.SequenceId, new RecordState(e.OriginInstanceId, 0));
        }
        writes.Picture(e.OriginInstanceId, p, e.EntityVersion);
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
    /// <summary>Whether a run of this transaction wrote records (listeners are told after the commit).</summary>
    internal bool RecordsWritten { get; set; }
    /// <summary>Whether the writes may run with triggers and foreign-key checks off (see <see cref="StagedWrites.FlushAsync"/>).</summary>
    internal bool BypassTriggers { get; init; }
    /// <summary>Whether a run of this transaction has used the staging tables of <see cref="StagedWrites"/>.</summary>
    internal bool StagingUsed { get; set; }

    /// <summary>Applies entries numbered from <see cref="Seq"/> + 1, with the same rules as a peer's batch.</summary>
    public Task<ApplyResult> ApplyAsync(IReadOnlyList<ChangeLogEntry> entries, CancellationToken ct) => _applier.ApplyBatchAsync(this, ChangeApplier.Prepare(entries), ct);

    /// <summary>The same, for entries whose payloads were read ahead (<see cref="ChangeApplier.Prepare"/>).</summary>
    public Task<ApplyResult> ApplyAsync(PreparedEntries entries, CancellationToken ct) => _applier.ApplyBatchAsync(this, entries, ct);

    /// <summary>Applies verified entries wherever they stand in the origin's log (snapshot copy, reconcile repair); the cursor stays.</summary>
    public Task<ApplyResult> ApplyRecordsAsync(IReadOnlyList<ChangeLogEntry> entries, CancellationToken ct) => _applier.ApplyRecordsAsync(this, entries, ct);

    /// <summary>Moves the position of the origin (after a snapshot copy: the snapshot's anchor seq).</summary>
    public void MoveTo(long seq) => Seq = seq;

    /// <summary>Refreshes the touched sequences, moves the origin's position (and the peer's cursor when given) and commits.</summary>
    public Task CommitAsync(Guid? peer, long peerMaxSeq, CancellationToken ct) => _applier.CommitAsync(this, peer, peerMaxSeq, ct);

    /// <summary>False when the caller lent the connection (it outlives the session).</summary>
    internal bool OwnsConnection { get; init; } = true;

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        if (OwnsConnection)
        {
            await Connection.DisposeAsync();
        }
    }
}
