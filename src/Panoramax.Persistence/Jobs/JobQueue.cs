using Microsoft.EntityFrameworkCore;

namespace Panoramax.Persistence.Jobs;

/// <summary>
/// Enqueues durable background jobs. Call it inside the transaction that creates the work (the picture row,
/// the completed upload set) so a job exists exactly when its target does. Enqueueing a job whose
/// (kind, target) is already queued or running does nothing.
/// </summary>
public static class JobQueue
{
    public static Task EnqueueAsync(PanoramaxDbContext db, string kind, Guid targetId, TimeProvider clock, CancellationToken ct, TimeSpan? delay = null)
    {
        var now = clock.GetUtcNow();
        var runAfter = now + (delay ?? TimeSpan.Zero);
        return db.Database.ExecuteSqlAsync($"""
            WITH inserted AS (
                INSERT INTO jobs (kind, target_id, state, attempts, run_after, created_at, updated_at)
                VALUES ({kind}, {targetId}, 'queued', 0, {runAfter}, {now}, {now})
                ON CONFLICT (kind, target_id) WHERE state IN ('queued', 'running') DO NOTHING
                RETURNING kind)
            SELECT pg_notify('panoramax_jobs', kind) FROM inserted
            """, ct);
    }
}
