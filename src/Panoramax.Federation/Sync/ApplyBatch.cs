using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;

namespace Panoramax.Federation.Sync;

/// <summary>Who holds a record here and at which version (accounts have no version: 0).</summary>
internal readonly record struct RecordState(Guid Origin, long Version);

/// <summary>
/// What the apply decisions of one run of entries need to know about the records it touches: their origin and
/// version, the sequence of each picture, the highest tombstone version seen per record. Loaded in one round trip
/// before the run, then kept up to date in memory as each entry is decided, so the run reads nothing more.
/// </summary>
internal sealed class BatchState
{
    private readonly Dictionary<Guid, RecordState> _pictures = [];
    private readonly Dictionary<Guid, RecordState> _sequences = [];
    private readonly Dictionary<Guid, RecordState> _accounts = [];
    private readonly Dictionary<Guid, Guid> _sequenceOfPicture = [];
    private readonly Dictionary<(EntityKind, Guid), long> _tombstones = [];
    private readonly Dictionary<Guid, string> _accountNamesWritten = [];

    /// <summary>Whether some entry of the run's seq range is stored already (a snapshot or a repair put it there).</summary>
    public bool EntriesStored { get; private set; }

    /// <summary>Loads what the decisions about <paramref name="run"/> (in seq order) need.</summary>
    public static async Task<BatchState> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<ChangeLogEntry> run, IReadOnlyList<object?> parsed, CancellationToken ct)
    {
        var state = new BatchState();
        var pictures = new HashSet<Guid>();
        var sequences = new HashSet<Guid>();
        var accounts = new HashSet<Guid>();
        for (var i = 0; i < run.Count; i++)
        {
            var e = run[i];
            (e.EntityKind switch { EntityKind.Picture => pictures, EntityKind.Sequence => sequences, _ => accounts }).Add(e.EntityId);
            switch (parsed[i])
            {
                case PictureCopy p:
                    sequences.Add(p.SequenceId);
                    accounts.Add(p.AccountId);
                    break;
                case SequenceCopy s:
                    accounts.Add(s.AccountId);
                    break;
            }
        }
        if (run.Count == 0)
        {
            return state;
        }
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                Command("SELECT id, origin_instance_id, version, sequence_id FROM pictures WHERE id = ANY(@ids)", pictures),
                Command("SELECT id, origin_instance_id, version FROM sequences WHERE id = ANY(@ids)", sequences),
                Command("SELECT id, origin_instance_id FROM accounts WHERE id = ANY(@ids)", accounts),
                // Per kind, so that the (entity_kind, entity_id, seq) index serves it: the log only grows.
                TombstonesCommand(pictures, sequences, accounts),
                StoredCommand(run[0].OriginInstanceId, run[0].Seq, run[^1].Seq),
            },
        };
        await using var r = await batch.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            state._pictures[r.GetGuid(0)] = new RecordState(r.GetGuid(1), r.GetInt64(2));
            state._sequenceOfPicture[r.GetGuid(0)] = r.GetGuid(3);
        }
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            state._sequences[r.GetGuid(0)] = new RecordState(r.GetGuid(1), r.GetInt64(2));
        }
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            state._accounts[r.GetGuid(0)] = new RecordState(r.GetGuid(1), 0);
        }
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            state._tombstones[(ApiNames.ParseApiName<EntityKind>(r.GetString(0)), r.GetGuid(1))] = r.GetInt64(2);
        }
        await r.NextResultAsync(ct);
        state.EntriesStored = await r.ReadAsync(ct) && r.GetBoolean(0);
        return state;
    }

    private static NpgsqlBatchCommand TombstonesCommand(HashSet<Guid> pictures, HashSet<Guid> sequences, HashSet<Guid> accounts)
    {
        var cmd = new NpgsqlBatchCommand("""
            SELECT entity_kind, entity_id, max(entity_version) FROM change_log
            WHERE op = 'tombstone' AND ((entity_kind = 'picture' AND entity_id = ANY(@p))
                                        OR (entity_kind = 'sequence' AND entity_id = ANY(@s))
                                        OR (entity_kind = 'account' AND entity_id = ANY(@a)))
            GROUP BY entity_kind, entity_id
            """);
        cmd.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = pictures.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = sequences.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("a", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = accounts.ToArray() });
        return cmd;
    }

    private static NpgsqlBatchCommand StoredCommand(Guid origin, long from, long to)
    {
        var cmd = new NpgsqlBatchCommand("SELECT EXISTS (SELECT 1 FROM change_log WHERE origin_instance_id = @o AND seq BETWEEN @from AND @to)");
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        return cmd;
    }

    private static NpgsqlBatchCommand Command(string sql, IEnumerable<Guid> ids)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids.ToArray() });
        return cmd;
    }

    private Dictionary<Guid, RecordState> Of(EntityKind kind) => kind switch
    {
        EntityKind.Picture => _pictures,
        EntityKind.Sequence => _sequences,
        _ => _accounts,
    };

    public RecordState? Get(EntityKind kind, Guid id) => Of(kind).TryGetValue(id, out var s) ? s : null;

    public void Set(EntityKind kind, Guid id, RecordState state) => Of(kind)[id] = state;

    public Guid? SequenceOf(Guid picture) => _sequenceOfPicture.TryGetValue(picture, out var s) ? s : null;

    public void SetSequenceOf(Guid picture, Guid sequence) => _sequenceOfPicture[picture] = sequence;

    public bool TombstonedAtOrAfter(EntityKind kind, Guid id, long version) =>
        _tombstones.TryGetValue((kind, id), out var v) && v >= version;

    public void RecordTombstone(EntityKind kind, Guid id, long version) =>
        _tombstones[(kind, id)] = Math.Max(version, _tombstones.GetValueOrDefault((kind, id), long.MinValue));

    /// <summary>True the first time an account is seen in this run with this name (one write per account and name).</summary>
    public bool AccountNeedsWrite(Guid id, string name)
    {
        if (_accountNamesWritten.TryGetValue(id, out var written) && written == name)
        {
            return false;
        }
        _accountNamesWritten[id] = name;
        return true;
    }
}
