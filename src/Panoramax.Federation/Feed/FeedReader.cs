using Google.Protobuf;
using Npgsql;
using Panoramax.Federation.Protocol.V1;

namespace Panoramax.Federation.Feed;

/// <summary>Reads sealed entries (own and relayed, stored byte for byte) and the per-origin state announced by Hello.</summary>
public sealed class FeedReader(NpgsqlDataSource db)
{
    public async Task<List<ChangeEntry>> ReadAsync(Guid origin, long sinceSeq, int limit, CancellationToken ct)
    {
        // Sealed entries are a prefix of each origin's seqs (the sealer goes in seq order and refuses holes), so the read
        // walks the primary key and stops at the first unsealed entry. A "sealed_at IS NOT NULL" condition instead let
        // the planner, with statistics taken before a big backlog was sealed, scan and sort the whole log for every chunk.
        await using var cmd = db.CreateCommand("""
            SELECT seq, entity_kind, entity_id, op, entity_version, created_at, payload, payload_hash, prev_hash, signature,
                   sealed_at IS NOT NULL
            FROM change_log WHERE origin_instance_id = @o AND seq > @since
            ORDER BY seq LIMIT @n
            """);
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("since", sinceSeq);
        cmd.Parameters.AddWithValue("n", limit);
        var list = new List<ChangeEntry>(Math.Min(limit, 1024));
        var originText = origin.ToString();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var expected = sinceSeq + 1;
        while (await r.ReadAsync(ct))
        {
            var seq = r.GetInt64(0);
            if (seq != expected || !r.GetBoolean(10))
            {
                // Never serve across a hole (it can only come from retention or a bug): the receiver would refuse it anyway.
                // Nor an unsealed entry: it has no hash or signature yet.
                break;
            }
            expected++;
            var tombstone = r.GetString(3) == "tombstone";
            list.Add(new ChangeEntry
            {
                OriginId = originText,
                Seq = seq,
                Kind = r.GetString(1) switch
                {
                    "sequence" => EntityKind.Sequence,
                    "picture" => EntityKind.Picture,
                    _ => EntityKind.Account,
                },
                EntityId = r.GetGuid(2).ToString(),
                Op = tombstone ? ChangeOp.Tombstone : ChangeOp.Upsert,
                EntityVersion = r.GetInt64(4),
                CreatedAtUs = Signing.FeedCrypto.ToUnixMicros(r.GetFieldValue<DateTimeOffset>(5)),
                Payload = r.IsDBNull(6) ? ByteString.Empty : ByteString.CopyFromUtf8(r.GetString(6)),
                PayloadHash = ByteString.CopyFrom(r.IsDBNull(7) ? new byte[32] : (byte[])r[7]),
                PrevHash = ByteString.CopyFrom(r.IsDBNull(8) ? new byte[32] : (byte[])r[8]),
                Signature = r.IsDBNull(9) ? ByteString.Empty : ByteString.CopyFrom((byte[])r[9]),
            });
        }
        return list;
    }

    /// <summary>True for an upsert whose payload retention removed (spec §7): only GetSnapshot may serve it.</summary>
    public static bool IsPruned(ChangeEntry e) => e.Op == ChangeOp.Upsert && e.Payload.IsEmpty;

    /// <summary>
    /// Every origin with sealed entries here and a key, except blocked ones: (id, name, key, base url, min seq, max seq).
    /// min_seq is 1 + the highest pruned seq (0 when nothing is pruned), read from the partial index ix_change_log_pruned.
    /// </summary>
    public async Task<List<OriginState>> OriginsAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT i.id, i.name, i.public_key, i.base_url,
                   (SELECT max(seq) + 1 FROM change_log c
                    WHERE c.origin_instance_id = i.id AND c.op = 'upsert' AND c.payload IS NULL AND c.sealed_at IS NOT NULL),
                   -- The sealed entries are a prefix (see ReadAsync): the last one is just before the first unsealed one
                   -- (partial index), else the last entry. Filtering max(seq) on sealed_at walked back over a whole backlog.
                   NULLIF(coalesce(
                       (SELECT min(seq) FROM change_log c WHERE c.origin_instance_id = i.id AND c.sealed_at IS NULL) - 1,
                       (SELECT max(seq) FROM change_log c WHERE c.origin_instance_id = i.id)), 0)
            FROM instances i
            WHERE i.public_key IS NOT NULL AND i.trust <> 'blocked'
            """);
        var list = new List<OriginState>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (r.IsDBNull(5))
            {
                continue;
            }
            list.Add(new OriginState
            {
                OriginId = r.GetGuid(0).ToString(),
                Name = r.GetString(1),
                PublicKey = ByteString.CopyFrom((byte[])r[2]),
                BaseUrl = r.IsDBNull(3) ? "" : r.GetString(3),
                MinSeq = r.IsDBNull(4) ? 0 : r.GetInt64(4),
                MaxSeq = r.GetInt64(5),
            });
        }
        return list;
    }
}
