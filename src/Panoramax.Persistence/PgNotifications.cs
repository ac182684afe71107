using Npgsql;

namespace Panoramax.Persistence;

/// <summary>PostgreSQL LISTEN, for work other server processes on the same database tell about with NOTIFY.</summary>
public static class PgNotifications
{
    /// <summary>
    /// Listens on <paramref name="channel"/> on a connection of its own until <paramref name="ct"/> is cancelled, calling
    /// <paramref name="onNotification"/> with each payload. After a failure (database restart, network) it tells
    /// <paramref name="onError"/>, waits <paramref name="retryDelay"/> and listens again: notifications sent in the gap
    /// are lost, so callers keep a slower way to catch up (polling, a timer, a cache lifetime).
    /// </summary>
    public static async Task ListenAsync(NpgsqlDataSource db, string channel, Action<string> onNotification, Action<Exception> onError, TimeSpan retryDelay, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(ct);
                conn.Notification += (_, e) => onNotification(e.Payload);
                await using (var cmd = new NpgsqlCommand($"LISTEN {channel}", conn))
                {
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                while (!ct.IsCancellationRequested)
                {
                    await conn.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                onError(e);
                try
                {
                    await Task.Delay(retryDelay, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
