using Npgsql;
using Panoramax.Persistence;
using Panoramax.Persistence.Queries;

namespace Panoramax.Server.Map;

/// <summary>
/// Keeps the in-memory map caches (tiles, catalogue extent) of every server process on one database in step: a process
/// that changed what the map shows tells the others with a NOTIFY once its change is committed, and each drops its own
/// caches when told. Without it a picture hidden through one API process stayed in the tiles another one had cached
/// (behind a load balancer, or published by a separate worker) for up to <see cref="MapOptions.TileMaxAge"/>.
/// </summary>
public sealed class MapCacheBroadcast(NpgsqlDataSource db, TileCache tiles, CatalogExtentCache extent, ILogger<MapCacheBroadcast> logger) : BackgroundService
{
    public const string Channel = "panoramax_map";

    // Who sent a notification: a process ignores its own (it dropped its caches before telling).
    private readonly string _me = Guid.NewGuid().ToString("N");

    /// <summary>Tells the other processes to drop their map caches. A failure is logged: their caches expire anyway.</summary>
    public async Task TellOthersAsync()
    {
        try
        {
            await using var cmd = db.CreateCommand("SELECT pg_notify(@channel, @me)");
            cmd.Parameters.AddWithValue("channel", Channel);
            cmd.Parameters.AddWithValue("me", _me);
            await cmd.ExecuteNonQueryAsync();
        }
        // Best effort, and often not awaited (TellOthers): whatever goes wrong, including a data source disposed while the
        // host stops, is logged here rather than left in a task nobody observes.
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not tell the other server processes to drop their cached map tiles; they expire within Panoramax:Map:TileMaxAge");
        }
    }

    /// <summary>The same, for callers that cannot wait (it never throws).</summary>
    public void TellOthers() => _ = TellOthersAsync();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PgNotifications.ListenAsync(db, Channel,
            sender =>
            {
                if (sender != _me)
                {
                    tiles.Invalidate();
                    extent.Invalidate();
                }
            },
            e => logger.LogDebug("Map cache notifications interrupted ({Error}); listening again shortly", e.Message),
            TimeSpan.FromSeconds(5), stoppingToken);
}
