using Npgsql;

namespace Panoramax.Persistence.Manage;

/// <summary>
/// Rank arithmetic of sequence edits (reorder, cut, merge, detach, heading recomputation). Ranks are unique among
/// the live pictures of a sequence and the index is checked row by row, so every renumbering goes through
/// negative ranks first (two statements, never a transient duplicate). Picture ids never change. Call inside the
/// edit's transaction, then refresh the sequence aggregates.
/// </summary>
public static class SequenceRanks
{
    /// <summary>GeoVisio's sort keys (<c>±gpsdate</c>, <c>±filedate</c>, <c>±filename</c>) and the SQL order they mean.</summary>
    public static readonly IReadOnlyDictionary<string, string> SortKeys = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["+gpsdate"] = "p.captured_at ASC",
        ["-gpsdate"] = "p.captured_at DESC",
        // The camera clock's original time, as the file says it (EXIF text sorts like the time it spells).
        ["+filedate"] = "coalesce(p.exif->>'Exif.Photo.DateTimeOriginal', '') ASC, p.captured_at ASC",
        ["-filedate"] = "coalesce(p.exif->>'Exif.Photo.DateTimeOriginal', '') DESC, p.captured_at DESC",
        ["+filename"] = "p.original_file_name ASC",
        ["-filename"] = "p.original_file_name DESC",
    };

    /// <summary>Renumbers the live pictures 1..n in <paramref name="orderSql"/> order (current rank breaks ties); null keeps the current order (compaction).</summary>
    public static async Task RenumberAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid sequenceId, string? orderSql, CancellationToken ct)
    {
        var order = orderSql is null ? "p.rank" : $"{orderSql}, p.rank";
        await ExecAsync(conn, tx, $"""
            WITH o AS (
                SELECT p.id, row_number() OVER (ORDER BY {order}) AS n
                FROM pictures p WHERE p.sequence_id = @seq AND p.deleted_at IS NULL
            )
            UPDATE pictures p SET rank = -o.n FROM o WHERE p.id = o.id;
            UPDATE pictures SET rank = -rank WHERE sequence_id = @seq AND deleted_at IS NULL AND rank < 0;
            """, ct, ("seq", sequenceId));
    }

    /// <summary>
    /// Sets computed headings: the movement azimuth towards the next picture (the last one looks like its predecessor)
    /// plus <paramref name="offset"/>; a lone picture faces north plus the offset. With <paramref name="onlyComputed"/> the
    /// headings that came from the file or the user are kept.
    /// </summary>
    public static async Task<int> RecomputeHeadingsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid sequenceId, int offset, bool onlyComputed, bool markAsUser, CancellationToken ct)
    {
        return await ExecAsync(conn, tx, """
            WITH o AS (
                SELECT p.id, p.location AS here,
                       lead(p.location) OVER w AS nxt, lag(p.location) OVER w AS prv
                FROM pictures p WHERE p.sequence_id = @seq AND p.deleted_at IS NULL
                WINDOW w AS (ORDER BY p.rank)
            ), a AS (
                SELECT id, CASE
                    WHEN nxt IS NOT NULL AND NOT ST_Equals(here, nxt) THEN degrees(ST_Azimuth(here::geography, nxt::geography))
                    WHEN prv IS NOT NULL AND NOT ST_Equals(prv, here) THEN degrees(ST_Azimuth(prv::geography, here::geography))
                    ELSE 0 END AS az
                FROM o
            )
            UPDATE pictures p SET heading = mod(mod(round(a.az)::int + @offset, 360) + 360, 360), heading_from_user = @mark
            FROM a WHERE p.id = a.id AND (NOT @only OR NOT p.heading_from_user)
            """, ct, ("seq", sequenceId), ("offset", offset), ("only", onlyComputed), ("mark", markAsUser));
    }

    /// <summary>Creates an empty sequence copying <paramref name="sourceId"/>'s owner, settings and tags; returns its id.</summary>
    public static async Task<Guid> CloneEmptyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid sourceId, Guid newId, DateTimeOffset now, CancellationToken ct)
    {
        await ExecAsync(conn, tx, """
            INSERT INTO sequences (id, origin_instance_id, account_id, upload_set_id, title, status, visibility, license, sorted_by,
                                   upload_software, user_agent, semantics, picture_count, length_km, created_at, updated_at, version)
            SELECT @new, origin_instance_id, account_id, upload_set_id, title, status, visibility, license, sorted_by,
                   upload_software, user_agent, semantics, 0, 0, @now, @now, 1
            FROM sequences WHERE id = @src
            """, ct, ("new", newId), ("src", sourceId), ("now", now));
        return newId;
    }

    /// <summary>Moves the live pictures of <paramref name="fromId"/> matching <paramref name="where"/> (alias-free SQL on pictures) after the last picture of <paramref name="toId"/>; returns their ids.</summary>
    public static async Task<List<Guid>> MoveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid fromId, Guid toId, string where, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand($"""
            UPDATE pictures SET sequence_id = @to,
                rank = rank + (SELECT coalesce(max(rank), 0) FROM pictures WHERE sequence_id = @to AND deleted_at IS NULL)
            WHERE sequence_id = @from AND deleted_at IS NULL AND ({where})
            RETURNING id
            """, conn, tx);
        cmd.Parameters.AddWithValue("from", fromId);
        cmd.Parameters.AddWithValue("to", toId);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        var ids = new List<Guid>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            ids.Add(r.GetGuid(0));
        }
        return ids;
    }

    private static async Task<int> ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
