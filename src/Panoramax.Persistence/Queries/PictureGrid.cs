using Microsoft.Extensions.Logging;
using Npgsql;

namespace Panoramax.Persistence.Queries;

/// <summary>
/// The low-zoom map aggregate: public, ready pictures counted per 0.1° cell, kept in the <c>picture_grid</c>
/// materialized view so a world tile reads a few thousand cells instead of scanning every picture. Only public data
/// is counted (it is the same for every caller and may be cached by anyone).
/// </summary>
public static class PictureGridSql
{
    /// <summary>Cheap to read while it runs (CONCURRENTLY, thanks to the unique index on id).</summary>
    public const string Refresh = "REFRESH MATERIALIZED VIEW CONCURRENTLY picture_grid";
}

/// <summary>
/// Refreshes the grid after publication changes (call <see cref="RefreshAsync"/>) and on a timer. Refreshes never
/// overlap: a call made while one runs waits for it and then runs once more, so the grid never misses a change.
/// </summary>
public sealed class PictureGridRefresher(NpgsqlDataSource db, ILogger<PictureGridRefresher> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task RefreshAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await using var cmd = db.CreateCommand(PictureGridSql.Refresh);
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct);
            logger.LogDebug("Picture grid refreshed in {Elapsed}", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
