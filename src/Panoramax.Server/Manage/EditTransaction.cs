using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Panoramax.Domain.Federation;
using Panoramax.Persistence;
using Panoramax.Persistence.ChangeLog;
using Panoramax.Persistence.Sequences;

namespace Panoramax.Server.Manage;

/// <summary>
/// One edit of published data, all or nothing: raw SQL on the DbContext's connection and transaction, then, at commit,
/// the aggregates of every touched sequence, a version bump of every touched picture and sequence, and their
/// change-log entries (the federation outbox) in the same transaction. Upsert for what is public after the edit,
/// Tombstone for what is not (hidden, deleted, taken down).
/// </summary>
internal sealed class EditTransaction : IAsyncDisposable
{
    private readonly PanoramaxDbContext _db;
    private readonly IDbContextTransaction _tx;
    private readonly TimeProvider _clock;
    private readonly HashSet<Guid> _sequences = [];
    private readonly HashSet<Guid> _pictures = [];

    private EditTransaction(PanoramaxDbContext db, IDbContextTransaction tx, TimeProvider clock)
    {
        _db = db;
        _tx = tx;
        _clock = clock;
        Now = clock.GetUtcNow();
        Connection = (NpgsqlConnection)db.Database.GetDbConnection();
        Transaction = (NpgsqlTransaction)tx.GetDbTransaction();
    }

    public DateTimeOffset Now { get; }
    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }
    public PanoramaxDbContext Db => _db;

    public static async Task<EditTransaction> BeginAsync(PanoramaxDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var tx = await db.Database.BeginTransactionAsync(ct);
        return new EditTransaction(db, tx, clock);
    }

    /// <summary>The sequence's aggregates, version and change-log entry are refreshed at commit.</summary>
    public void TouchSequence(Guid id) => _sequences.Add(id);

    /// <summary>The picture's version and change-log entry are refreshed at commit.</summary>
    public void TouchPicture(Guid id) => _pictures.Add(id);

    public void TouchPictures(IEnumerable<Guid> ids) => _pictures.UnionWith(ids);

    public NpgsqlCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, Connection, Transaction);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    public async Task<int> ExecAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Ids of the live pictures of a sequence (to mark them touched when the whole sequence changes).</summary>
    public async Task<List<Guid>> PictureIdsAsync(Guid sequenceId, bool includeDeleted, CancellationToken ct)
    {
        await using var cmd = Command($"SELECT id FROM pictures WHERE sequence_id = @s {(includeDeleted ? "" : "AND deleted_at IS NULL")}", ("s", sequenceId));
        var ids = new List<Guid>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            ids.Add(r.GetGuid(0));
        }
        return ids;
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        // Copies of other instances' records (a moderator's takedown here) keep their origin's version, which decides
        // whether the origin's next one is newer, and have no entry in our feed: the change is this instance's alone.
        var copies = new HashSet<Guid>();
        if (_sequences.Count > 0)
        {
            await using var cmd = Command($"SELECT s.id FROM sequences s WHERE s.id = ANY(@ids) AND {CopySql.IsCopy("s")}", ("ids", _sequences.ToArray()));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                copies.Add(r.GetGuid(0));
            }
        }
        foreach (var s in _sequences)
        {
            // Bumps version and updated_at too (the harvester re-reads sequences whose updated moved).
            await SequenceAggregates.RefreshAsync(Connection, Transaction, s, Now, ct, bumpVersion: !copies.Contains(s));
        }
        var entries = new List<(EntityKind Kind, Guid Id, long Version, bool Public)>();
        if (_pictures.Count > 0)
        {
            await using var cmd = Command($"""
                UPDATE pictures p SET version = p.version + 1, updated_at = @now
                FROM sequences s WHERE s.id = p.sequence_id AND p.id = ANY(@ids) AND NOT {CopySql.IsCopy("p")}
                RETURNING p.id, p.version,
                    p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL
                    AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL
                """, ("now", Now), ("ids", _pictures.ToArray()));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                entries.Add((EntityKind.Picture, r.GetGuid(0), r.GetInt64(1), r.GetBoolean(2)));
            }
        }
        if (_sequences.Count > 0)
        {
            await using var cmd = Command("""
                SELECT id, version, visibility = 'anyone' AND status = 'ready' AND deleted_at IS NULL
                FROM sequences WHERE id = ANY(@ids)
                """, ("ids", _sequences.Except(copies).ToArray()));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                entries.Add((EntityKind.Sequence, r.GetGuid(0), r.GetInt64(1), r.GetBoolean(2)));
            }
        }
        // Last, to keep the change-log row lock short.
        foreach (var (kind, id, version, isPublic) in entries)
        {
            await ChangeLogWriter.AppendAsync(_db, kind, id, isPublic ? ChangeOp.Upsert : ChangeOp.Tombstone, version, payload: null, _clock, ct);
        }
        await _db.SaveChangesAsync(ct);
        await _tx.CommitAsync(ct);
    }

    public ValueTask DisposeAsync() => _tx.DisposeAsync();
}
