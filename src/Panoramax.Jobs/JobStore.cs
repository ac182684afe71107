using Npgsql;
using NpgsqlTypes;

namespace Panoramax.Jobs;

/// <summary>A job taken by this worker: the row is <c>running</c> with our lease.</summary>
internal sealed record ClaimedJob(long Id, string Kind, Guid TargetId, int Attempts);

/// <summary>
/// The SQL of the job table's life cycle: claim (SKIP LOCKED, so workers never wait on each other and never take the
/// same job), heartbeat, finish, retry. Every update after the claim checks <c>locked_by</c>: a worker whose lease
/// expired and was taken over can no longer change the row.
/// </summary>
internal sealed class JobStore(NpgsqlDataSource db, TimeProvider clock)
{
    public const string Channel = "panoramax_jobs";

    // Due queued jobs, and running jobs whose worker stopped renewing its lease (killed, frozen).
    private const string ClaimSql = """
        UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, lease_expires_at = @lease, locked_by = @me, updated_at = @now
        WHERE j.id IN (
            SELECT id FROM jobs
            WHERE ((state = 'queued' AND run_after <= @now) OR (state = 'running' AND lease_expires_at < @now)) AND kind = ANY(@kinds)
            ORDER BY run_after, id
            LIMIT @n
            FOR UPDATE SKIP LOCKED)
        RETURNING j.id, j.kind, j.target_id, j.attempts
        """;

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string workerId, int count, IReadOnlyCollection<string> kinds, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = db.CreateCommand(ClaimSql);
        cmd.Parameters.AddWithValue("lease", now + lease);
        cmd.Parameters.AddWithValue("me", workerId);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("n", count);
        cmd.Parameters.AddWithValue("kinds", kinds.ToArray());
        var jobs = new List<ClaimedJob>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            jobs.Add(new ClaimedJob(reader.GetInt64(0), reader.GetString(1), reader.GetGuid(2), reader.GetInt32(3)));
        }
        return jobs;
    }

    /// <returns>false when the lease was lost (another worker took the job over).</returns>
    public async Task<bool> RenewLeaseAsync(long id, string workerId, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = db.CreateCommand("UPDATE jobs SET lease_expires_at = @lease, updated_at = @now WHERE id = @id AND locked_by = @me AND state = 'running'");
        cmd.Parameters.AddWithValue("lease", now + lease);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("me", workerId);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task FinishAsync(long id, string workerId, bool succeeded, string? note, CancellationToken ct) =>
        UpdateAsync(id, workerId, succeeded ? "succeeded" : "failed", note, runAfter: null, attemptsDelta: 0, ct);

    /// <summary>Back to the queue until <paramref name="runAfter"/>; <paramref name="countAttempt"/> false gives the attempt back.</summary>
    public Task RequeueAsync(long id, string workerId, string error, DateTimeOffset runAfter, bool countAttempt, CancellationToken ct) =>
        UpdateAsync(id, workerId, "queued", error, runAfter, countAttempt ? 0 : -1, ct);

    private async Task UpdateAsync(long id, string workerId, string state, string? note, DateTimeOffset? runAfter, int attemptsDelta, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET state = @state, last_error = @note, lease_expires_at = NULL, locked_by = NULL, updated_at = @now,
                run_after = coalesce(@run_after, run_after), attempts = attempts + @delta,
                finished_at = CASE WHEN @state IN ('succeeded', 'failed') THEN @now END
            WHERE id = @id AND locked_by = @me AND state = 'running'
            """);
        cmd.Parameters.AddWithValue("state", state);
        cmd.Parameters.Add(new NpgsqlParameter("note", NpgsqlDbType.Text) { Value = (object?)Truncate(note) ?? DBNull.Value });
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.Add(new NpgsqlParameter("run_after", NpgsqlDbType.TimestampTz) { Value = (object?)runAfter ?? DBNull.Value });
        cmd.Parameters.AddWithValue("delta", attemptsDelta);
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("me", workerId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string? Truncate(string? s) => s is { Length: > 4000 } ? s[..4000] : s;
}

/// <summary>Exponential backoff with jitter, so failed jobs of a batch do not all come back at the same instant.</summary>
public static class Backoff
{
    /// <summary><paramref name="failures"/> is 1 after the first failure; <paramref name="jitter"/> a number in [0, 1) (random in production, fixed in tests).</summary>
    public static TimeSpan Delay(int failures, TimeSpan baseDelay, TimeSpan max, double jitter)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var raw = Math.Min(max.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(raw * (0.75 + (0.5 * jitter)));
    }
}
