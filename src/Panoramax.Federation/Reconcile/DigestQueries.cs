using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;

namespace Panoramax.Federation.Reconcile;

/// <summary>
/// Reads the digest lines of seq ranges of one origin's log (spec §7.1). Entries that are the newest of their record
/// among the sealed entries with seq ≤ the horizon are counted. <see cref="LogDigestsAsync"/> gives the answering side's
/// view (the log alone); <see cref="HeldDigestsAsync"/> the caller's (the version and op of the records it holds).
/// </summary>
public static class DigestQueries
{
    // One pass per range on the primary key, and one probe per entry on (entity_kind, entity_id, seq) to drop superseded ones.
    private const string InRanges = """
        FROM unnest(@froms, @tos) WITH ORDINALITY AS r(f, t, i)
        JOIN change_log c ON c.origin_instance_id = @o AND c.seq BETWEEN r.f AND r.t
        """;

    private const string Newest = """
        WHERE c.sealed_at IS NOT NULL AND c.seq <= @h
          AND NOT EXISTS (SELECT 1 FROM change_log n WHERE n.entity_kind = c.entity_kind AND n.entity_id = c.entity_id
                          AND n.origin_instance_id = c.origin_instance_id AND n.seq > c.seq AND n.seq <= @h AND n.sealed_at IS NOT NULL)
        """;

    /// <summary>The answering side: each newest entry as the log holds it.</summary>
    public static async Task<List<RangeDigestValue>> LogDigestsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid origin, IReadOnlyList<SeqSpan> ranges, long horizon, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT r.i, c.seq, c.entity_kind, c.entity_id, c.op, c.entity_version
            {InRanges}
            {Newest}
            ORDER BY r.i, c.seq
            """, conn, tx);
        Bind(cmd, origin, ranges, horizon);
        return await DigestsAsync(cmd, ranges, r => new DigestLine(r.GetInt64(1), Kind(r.GetString(2)), r.GetGuid(3), r.GetInt64(5), OpOf(r.GetString(4))), ct);
    }

    /// <summary>
    /// The caller: seq, kind and id from its log, version and op from the record it holds: a live copy (ready, public,
    /// not deleted) is an upsert at the row's version, a deleted one a tombstone at the row's version, anything else
    /// (missing, hidden, held for another origin) is 0/0. A tombstone of a record not held is a tombstone (nothing to
    /// hold). Accounts have no version: held (or tombstoned) → the entry's op and version. A record whose newest entry
    /// lies beyond the horizon is compared by its log entry alone (its row reflects a later state).
    /// </summary>
    public static async Task<List<RangeDigestValue>> HeldDigestsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid origin, IReadOnlyList<SeqSpan> ranges, long horizon, CancellationToken ct)
    {
        await using var cmd = HeldCommand(conn, tx, origin, ranges, horizon);
        return await DigestsAsync(cmd, ranges, r => HeldLine(r, origin), ct);
    }

    /// <summary>The caller's lines of <paramref name="ranges"/> (one list per range), for counting what a repair changed.</summary>
    public static async Task<List<List<DigestLine>>> HeldLinesAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid origin, IReadOnlyList<SeqSpan> ranges, long horizon, CancellationToken ct)
    {
        await using var cmd = HeldCommand(conn, tx, origin, ranges, horizon);
        var lists = ranges.Select(_ => new List<DigestLine>()).ToList();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            lists[(int)r.GetInt64(0) - 1].Add(HeldLine(r, origin));
        }
        return lists;
    }

    private static NpgsqlCommand HeldCommand(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid origin, IReadOnlyList<SeqSpan> ranges, long horizon)
    {
        var cmd = new NpgsqlCommand($"""
            SELECT r.i, c.seq, c.entity_kind, c.entity_id, c.op, c.entity_version,
                   EXISTS (SELECT 1 FROM change_log b WHERE b.entity_kind = c.entity_kind AND b.entity_id = c.entity_id
                           AND b.origin_instance_id = c.origin_instance_id AND b.seq > @h) AS beyond,
                   coalesce(p.origin_instance_id, s.origin_instance_id, a.origin_instance_id) AS held_by,
                   coalesce(p.status::text, s.status::text), coalesce(p.visibility::text, s.visibility::text),
                   coalesce(p.deleted_at, s.deleted_at) IS NOT NULL, coalesce(p.version, s.version, 0)
            {InRanges}
            LEFT JOIN pictures p ON c.entity_kind = 'picture' AND p.id = c.entity_id
            LEFT JOIN sequences s ON c.entity_kind = 'sequence' AND s.id = c.entity_id
            LEFT JOIN accounts a ON c.entity_kind = 'account' AND a.id = c.entity_id
            {Newest}
            ORDER BY r.i, c.seq
            """, conn, tx);
        Bind(cmd, origin, ranges, horizon);
        return cmd;
    }

    private static DigestLine HeldLine(NpgsqlDataReader r, Guid origin)
    {
        var seq = r.GetInt64(1);
        var kind = Kind(r.GetString(2));
        var id = r.GetGuid(3);
        var op = OpOf(r.GetString(4));
        var version = r.GetInt64(5);
        var beyond = r.GetBoolean(6);
        if (beyond || (op == DigestLine.OpCode(ChangeOp.Tombstone) && r.IsDBNull(7)))
        {
            return new DigestLine(seq, kind, id, version, op);
        }
        if (r.IsDBNull(7) || r.GetGuid(7) != origin)
        {
            return new DigestLine(seq, kind, id, 0, DigestLine.Missing);
        }
        if (kind == EntityKind.Account)
        {
            return new DigestLine(seq, kind, id, version, op);
        }
        var (status, visibility, deleted, rowVersion) = (r.GetString(8), r.GetString(9), r.GetBoolean(10), r.GetInt64(11));
        if (deleted || status == "deleted")
        {
            return new DigestLine(seq, kind, id, rowVersion, DigestLine.OpCode(ChangeOp.Tombstone));
        }
        return status == "ready" && visibility == "anyone"
            ? new DigestLine(seq, kind, id, rowVersion, DigestLine.OpCode(ChangeOp.Upsert))
            : new DigestLine(seq, kind, id, 0, DigestLine.Missing);
    }

    private static void Bind(NpgsqlCommand cmd, Guid origin, IReadOnlyList<SeqSpan> ranges, long horizon)
    {
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("h", horizon);
        cmd.Parameters.Add(new NpgsqlParameter("froms", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ranges.Select(x => x.From).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("tos", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ranges.Select(x => x.To).ToArray() });
    }

    private static async Task<List<RangeDigestValue>> DigestsAsync(NpgsqlCommand cmd, IReadOnlyList<SeqSpan> ranges, Func<NpgsqlDataReader, DigestLine> line, CancellationToken ct)
    {
        var builders = ranges.Select(_ => new RangeDigestBuilder()).ToList();
        try
        {
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    builders[(int)r.GetInt64(0) - 1].Add(line(r));
                }
            }
            return [.. ranges.Select((x, i) => builders[i].Finish(x.From, x.To))];
        }
        finally
        {
            builders.ForEach(b => b.Dispose());
        }
    }

    private static EntityKind Kind(string name) => ApiNames.ParseApiName<EntityKind>(name);

    private static byte OpOf(string name) => DigestLine.OpCode(ApiNames.ParseApiName<ChangeOp>(name));
}
