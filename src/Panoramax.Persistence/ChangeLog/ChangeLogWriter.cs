using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Federation;

namespace Panoramax.Persistence.ChangeLog;

/// <summary>
/// Appends entries to this instance's change log. Sequence numbers come from the instance row's
/// <c>last_seq</c>, incremented inside the caller's transaction: the row lock makes concurrent writers
/// take consecutive numbers in commit order, so the feed is gap-free (a rolled-back transaction
/// gives its number back). Call it last in a transaction to keep the lock short. Entries are an outbox: the
/// federation sealer later renders their payload from the record's current state, hashes and signs them.
/// </summary>
public static class ChangeLogWriter
{
    /// <summary>PostgreSQL NOTIFY channel signalled by every append.</summary>
    public const string NotifyChannel = "panoramax_change_log";

    public static async Task<ChangeLogEntry> AppendAsync(
        PanoramaxDbContext db,
        EntityKind kind,
        Guid entityId,
        ChangeOp op,
        long entityVersion,
        string? payload,
        TimeProvider clock,
        CancellationToken ct)
    {
        // ToListAsync rather than FirstOrDefault: EF must not wrap an UPDATE … RETURNING in a sub-query.
        var rows = await db.Database
            .SqlQuery<OriginSeq>($"UPDATE instances SET last_seq = last_seq + 1 WHERE is_self RETURNING id, last_seq")
            .ToListAsync(ct);
        var origin = rows.FirstOrDefault()
            ?? throw new InvalidOperationException("This instance has no self row yet; run the start-up initialisation first.");

        var entry = new ChangeLogEntry
        {
            OriginInstanceId = origin.Id,
            Seq = origin.LastSeq,
            EntityKind = kind,
            EntityId = entityId,
            Op = op,
            EntityVersion = entityVersion,
            Payload = op == ChangeOp.Tombstone ? null : payload,
            PayloadHash = payload is null || op == ChangeOp.Tombstone ? null : System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(payload)),
            CreatedAt = clock.GetUtcNow(),
        };
        db.ChangeLog.Add(entry);
        // Delivered at commit (never for a rolled-back transaction): wakes the federation sealer at once.
        await db.Database.ExecuteSqlRawAsync("SELECT pg_notify('" + NotifyChannel + "', '')", ct);
        return entry;
    }

    private sealed class OriginSeq
    {
        public Guid Id { get; set; }
        public long LastSeq { get; set; }
    }
}
