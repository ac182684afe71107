using Npgsql;

namespace Panoramax.Persistence.Queries;

/// <summary>Spatial and temporal extent of everything publicly published (for the landing page).</summary>
public sealed record CatalogExtent(double MinX, double MinY, double MaxX, double MaxY, DateTimeOffset? Start, DateTimeOffset? End);

public static class CatalogExtentQuery
{
    private const string Sql = """
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), tmin, tmax
        FROM (
            SELECT ST_Extent(bbox) AS e, min(min_captured_at) AS tmin, max(max_captured_at) AS tmax
            FROM sequences
            WHERE status = 'ready' AND visibility = 'anyone' AND deleted_at IS NULL AND NOT license_filtered
        ) s
        """;

    /// <returns>null when nothing is published yet.</returns>
    public static async Task<CatalogExtent?> PublicExtentAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(Sql);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct) || r.IsDBNull(0))
        {
            return null;
        }
        return new CatalogExtent(
            r.GetDouble(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3),
            r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5));
    }
}

/// <summary>
/// The public extent for the landing page, read at most once per <see cref="Ttl"/>: it aggregates every published
/// sequence, and the landing page is the first thing every client opens. Whatever changes what is published (ingest
/// publishing a sequence, deletions, visibility changes) calls <see cref="Invalidate"/> so the next landing page is exact;
/// the TTL only bounds how stale a change made elsewhere (another instance of the server, SQL by hand) can be.
/// </summary>
public sealed class CatalogExtentCache(NpgsqlDataSource db, TimeProvider time)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    private sealed record Entry(Task<CatalogExtent?> Value, long Generation, DateTimeOffset Expires);

    private Entry? _entry;
    private long _generation;

    /// <returns>null when nothing is published yet.</returns>
    public Task<CatalogExtent?> GetAsync(CancellationToken ct)
    {
        var current = Volatile.Read(ref _entry);
        var now = time.GetUtcNow();
        if (current is not null && current.Generation == Interlocked.Read(ref _generation) && now < current.Expires
            && !current.Value.IsFaulted && !current.Value.IsCanceled)
        {
            return current.Value.WaitAsync(ct);
        }
        // The generation is taken before the read: an Invalidate() while it runs makes its result stale at once.
        var generation = Interlocked.Read(ref _generation);
        // Shared by every caller that arrives meanwhile, so one caller giving up must not cancel it.
        var fresh = new Entry(CatalogExtentQuery.PublicExtentAsync(db, CancellationToken.None), generation, now + Ttl);
        var winner = Interlocked.CompareExchange(ref _entry, fresh, current);
        return (ReferenceEquals(winner, current) ? fresh : winner!).Value.WaitAsync(ct);
    }

    /// <summary>Forgets the cached extent: call after publishing, hiding or deleting pictures or sequences.</summary>
    public void Invalidate() => Interlocked.Increment(ref _generation);
}
