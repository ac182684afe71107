using Microsoft.Extensions.Logging;
using Npgsql;

namespace Panoramax.Persistence.Queries;

/// <summary>
/// The low-zoom map aggregate: public, ready pictures counted per 0.1° cell in the <c>picture_grid</c> table, so a
/// world tile reads a few thousand cells instead of scanning every picture. Only public data is counted (it is the same
/// for every caller and may be cached by anyone). Triggers on pictures and sequences note the cells whose count may
/// have changed in <c>picture_grid_dirty</c> (migration <c>PictureGridIncremental</c>); a refresh recounts those cells
/// only, so an edit costs the cells it touched, not the whole instance.
/// </summary>
public static class PictureGridSql
{
    /// <summary>Marks per transaction (the LIMIT of <see cref="TakeMarks"/>): a big import is recounted in slices.</summary>
    public const int MarksPerSlice = 5000;

    /// <summary>
    /// Refreshes never run side by side, in any process: a refresher with an older view of the pictures must not write
    /// its count after a newer one.
    /// </summary>
    public const string Lock = "SELECT pg_advisory_xact_lock(hashtext('picture_grid'))";

    /// <summary>
    /// Takes the oldest marks off the list. Marks still uncommitted are not seen and stay for the next refresh; marks
    /// seen here were committed before, so the recount (a later statement, a later snapshot) sees their changes.
    /// </summary>
    public const string TakeMarks = """
        DELETE FROM picture_grid_dirty
        WHERE id IN (SELECT id FROM picture_grid_dirty ORDER BY id LIMIT 5000)
        RETURNING cell
        """;

    /// <summary>
    /// Recounts the cells <c>@cells</c> from the pictures inside each envelope (the GiST index), writes the non-empty ones
    /// and removes the empty ones.
    /// </summary>
    public const string Recount = """
        WITH cells AS (
            SELECT cell, (cell / 1800) - 1800 AS cx, (cell % 1800) - 900 AS cy FROM (SELECT DISTINCT unnest(@cells) AS cell) d
        ),
        counts AS (
            SELECT c.cell, c.cx, c.cy, n.nb, n.nb360, n.nbflat
            FROM cells c CROSS JOIN LATERAL (
                SELECT count(*)::int AS nb,
                       (count(*) FILTER (WHERE p.kind = 'equirectangular'))::int AS nb360,
                       (count(*) FILTER (WHERE p.kind = 'flat'))::int AS nbflat
                FROM pictures p
                JOIN sequences s ON s.id = p.sequence_id
                -- The envelope is a little wider than the cell (floating-point edges); the cell number decides.
                WHERE p.location && ST_MakeEnvelope(c.cx / 10.0 - 1e-7, c.cy / 10.0 - 1e-7, (c.cx + 1) / 10.0 + 1e-7, (c.cy + 1) / 10.0 + 1e-7, 4326)
                  AND picture_grid_cell(p.location) = c.cell
                  AND p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL AND NOT p.license_filtered
                  AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL AND NOT s.license_filtered) n
        ),
        written AS (
            INSERT INTO picture_grid (id, geom, nb_pictures, nb_360_pictures, nb_flat_pictures)
            SELECT cell, ST_Transform(ST_SetSRID(ST_MakePoint((cx + 0.5) / 10.0, least(greatest((cy + 0.5) / 10.0, -85.0), 85.0)), 4326), 3857),
                   nb, nb360, nbflat
            FROM counts WHERE nb > 0
            ON CONFLICT (id) DO UPDATE SET nb_pictures = excluded.nb_pictures, nb_360_pictures = excluded.nb_360_pictures,
                nb_flat_pictures = excluded.nb_flat_pictures
            RETURNING 1
        ),
        emptied AS (
            DELETE FROM picture_grid g USING counts c WHERE g.id = c.cell AND c.nb = 0 RETURNING 1
        )
        SELECT (SELECT count(*) FROM counts)::int, (SELECT count(*) FROM written)::int, (SELECT count(*) FROM emptied)::int
        """;
}

/// <summary>
/// Brings the grid up to date with what the triggers noted: after edits and publications (call
/// <see cref="RefreshAsync"/>) and on a timer. Whatever was committed before a call is counted when it returns.
/// </summary>
public sealed class PictureGridRefresher(NpgsqlDataSource db, ILogger<PictureGridRefresher> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <returns>How many cells were recounted.</returns>
    public async Task<int> RefreshAsync(CancellationToken ct)
    {
        // One refresh of this process at a time (the database lock is for the other processes): callers queue here
        // instead of holding pooled connections while they wait.
        await _gate.WaitAsync(ct);
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var cells = 0;
            int marks;
            do
            {
                (marks, var recounted) = await RefreshSliceAsync(ct);
                cells += recounted;
            }
            // A short slice emptied the list (what is noted from now on is for the next call).
            while (marks == PictureGridSql.MarksPerSlice);
            if (cells > 0)
            {
                logger.LogDebug("Picture grid: {Cells} cells recounted in {Elapsed}", cells, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
            return cells;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One transaction: the marks come back if the recount fails or the process dies.</summary>
    private async Task<(int Marks, int Cells)> RefreshSliceAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand(PictureGridSql.Lock, conn, tx))
        {
            await lockCmd.ExecuteNonQueryAsync(ct);
        }
        var marked = new List<int>();
        await using (var take = new NpgsqlCommand(PictureGridSql.TakeMarks, conn, tx))
        await using (var reader = await take.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                marked.Add(reader.GetInt32(0));
            }
        }
        if (marked.Count == 0)
        {
            return (0, 0);
        }
        int cells;
        await using (var recount = new NpgsqlCommand(PictureGridSql.Recount, conn, tx) { CommandTimeout = 0 })
        {
            recount.Parameters.AddWithValue("cells", marked.ToArray());
            await using var reader = await recount.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            cells = reader.GetInt32(0);
        }
        await tx.CommitAsync(ct);
        return (marked.Count, cells);
    }

    public void Dispose() => _gate.Dispose();
}
