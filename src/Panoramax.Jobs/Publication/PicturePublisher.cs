using Microsoft.Extensions.Logging;
using Panoramax.Domain.Federation;
using Panoramax.Persistence;
using Panoramax.Persistence.ChangeLog;
using Panoramax.Persistence.Sequences;

namespace Panoramax.Jobs.Publication;

/// <summary>
/// Makes pictures public. A picture is published when its files are done (status preparing with an HD key) AND it is
/// in a sequence; whichever of the two jobs (process, dispatch) finishes last publishes it. Each publication is one
/// transaction: status ready, version + 1, the sequence's aggregates and status, and the change-log entries of the
/// picture and its sequence. The sequence row is locked first, then the picture, and the state is checked under
/// the lock, so two jobs racing to publish the same picture publish it once, and sequence aggregates always include
/// every picture published before (no lost update between two pictures of one sequence).
/// </summary>
public sealed class PicturePublisher(PanoramaxDbContext db, TimeProvider clock, IEnumerable<IPublicationListener> listeners, ILogger<PicturePublisher> logger)
{
    /// <summary>Publishes the picture if it is ready to be; returns whether this call published it.</summary>
    public async Task<bool> TryPublishAsync(Guid pictureId, CancellationToken ct)
    {
        var published = await PublishOneAsync(pictureId, ct);
        if (published is not null)
        {
            await NotifyAsync([published], ct);
        }
        return published is not null;
    }

    /// <summary>Publishes every picture of an upload set whose files are done and which is in a sequence.</summary>
    public async Task<int> PublishUploadSetAsync(Guid uploadSetId, CancellationToken ct)
    {
        var candidates = new List<Guid>();
        await using (var cmd = await Db.CommandAsync(db, """
            SELECT id FROM pictures
            WHERE upload_set_id = @set AND status = 'preparing' AND hd_key IS NOT NULL AND sequence_id IS NOT NULL AND deleted_at IS NULL
            ORDER BY sequence_id, rank
            """, ct, ("set", uploadSetId)))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                candidates.Add(reader.GetGuid(0));
            }
        }
        var done = new List<PublishedPicture>();
        foreach (var id in candidates)
        {
            if (await PublishOneAsync(id, ct) is { } p)
            {
                done.Add(p);
            }
        }
        if (done.Count > 0)
        {
            await NotifyAsync(done, ct);
        }
        return done.Count;
    }

    private async Task<PublishedPicture?> PublishOneAsync(Guid pictureId, CancellationToken ct)
    {
        var sequenceId = await Db.ScalarAsync<Guid?>(db, "SELECT sequence_id FROM pictures WHERE id = @id", ct, ("id", pictureId));
        if (sequenceId is not { } seq)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await Db.ExecAsync(db, "SELECT 1 FROM sequences WHERE id = @seq FOR UPDATE", ct, ("seq", seq));
        var version = await Db.ScalarAsync<long?>(db, """
            UPDATE pictures SET status = 'ready', processed_at = @now, updated_at = @now, version = version + 1
            WHERE id = @id AND sequence_id = @seq AND status = 'preparing' AND hd_key IS NOT NULL AND deleted_at IS NULL
            RETURNING version
            """, ct, ("id", pictureId), ("seq", seq), ("now", now));
        if (version is not { } pictureVersion)
        {
            // Not publishable (any more): already ready, deleted, moved, or files not done.
            await tx.RollbackAsync(ct);
            return null;
        }
        await Db.ExecAsync(db, "UPDATE sequences SET status = 'ready' WHERE id = @seq AND status <> 'ready' AND deleted_at IS NULL", ct, ("seq", seq));
        await SequenceAggregates.RefreshAsync(Db.Connection(db), Db.Transaction(db), seq, now, ct);
        var sequenceVersion = await Db.ScalarAsync<long>(db, "SELECT version FROM sequences WHERE id = @seq", ct, ("seq", seq));
        // Payloads are rendered and signed by federation when it seals the entries; here only the facts are logged.
        await ChangeLogWriter.AppendAsync(db, EntityKind.Picture, pictureId, ChangeOp.Upsert, pictureVersion, payload: null, clock, ct);
        await ChangeLogWriter.AppendAsync(db, EntityKind.Sequence, seq, ChangeOp.Upsert, sequenceVersion, payload: null, clock, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return new PublishedPicture(pictureId, seq);
    }

    private async Task NotifyAsync(IReadOnlyList<PublishedPicture> published, CancellationToken ct)
    {
        foreach (var listener in listeners)
        {
            try
            {
                await listener.OnPublishedAsync(published, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Publication listener {Listener} failed; its caches catch up when they expire", listener.GetType().Name);
            }
        }
    }
}
