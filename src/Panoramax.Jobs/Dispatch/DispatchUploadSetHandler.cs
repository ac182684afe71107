using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Jobs;
using Panoramax.Persistence;
using Panoramax.Persistence.ChangeLog;
using Panoramax.Persistence.Jobs;
using Panoramax.Persistence.Sequences;
using Panoramax.Jobs.Publication;

namespace Panoramax.Jobs.Dispatch;

/// <summary>
/// Job <c>dispatch_upload_set</c>: turns a completed upload set into sequences (see <see cref="SequencePlanner"/>) in
/// one transaction that ends with <c>dispatched = true</c>, then publishes the pictures whose files are already done
/// (the others are published by their own processing job). A re-run after a crash finds the set dispatched and only
/// publishes. A set completed again after new files is re-planned as a whole: existing sequences are reused in order,
/// so published pictures keep their collection when nothing around them changed.
/// </summary>
public sealed class DispatchUploadSetHandler(
    PanoramaxDbContext db,
    PicturePublisher publisher,
    IOptions<DispatchDefaults> defaults,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<DispatchUploadSetHandler> logger) : IJobHandler
{
    public string Kind => JobKinds.DispatchUploadSet;

    public async Task<JobOutcome> RunAsync(JobContext job, CancellationToken ct)
    {
        var set = await db.UploadSets.AsNoTracking().FirstOrDefaultAsync(s => s.Id == job.TargetId, ct);
        if (set is null || set.DeletedAt is not null)
        {
            return JobOutcome.Skipped("upload set not found");
        }
        if (!set.Completed)
        {
            return JobOutcome.Skipped("upload set not completed (a new file arrived); dispatch comes with the next completion");
        }
        var undispatched = await Db.ScalarAsync<long>(db, """
            SELECT count(*) FROM pictures WHERE upload_set_id = @set AND sequence_id IS NULL AND deleted_at IS NULL AND status <> 'broken'
            """, ct, ("set", set.Id));
        if (!set.Dispatched || undispatched > 0)
        {
            await DispatchAsync(set.Id, ct);
        }
        var published = await publisher.PublishUploadSetAsync(set.Id, ct);
        logger.LogDebug("Upload set {Id} dispatched; {Published} pictures published now", set.Id, published);
        return JobOutcome.Success;
    }

    private sealed record Row(Guid Id, string FileName, DateTimeOffset CapturedAt, double Lat, double Lon, double? Heading, bool HeadingFromUser, Guid? SequenceId, string Status);

    private async Task DispatchAsync(Guid setId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var set = await db.UploadSets.FromSql($"SELECT * FROM upload_sets WHERE id = {setId} FOR UPDATE").AsNoTracking().FirstAsync(ct);
        var account = await db.Accounts.AsNoTracking().Where(a => a.Id == set.AccountId).Select(a => new { a.DefaultVisibility, a.DefaultLicense }).FirstAsync(ct);

        // Lock order everywhere: sequences, then pictures (as publication does).
        var existing = new List<Guid>();
        await using (var cmd = await Db.CommandAsync(db, "SELECT id FROM sequences WHERE upload_set_id = @set AND deleted_at IS NULL ORDER BY created_at, id FOR UPDATE", ct, ("set", setId)))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                existing.Add(reader.GetGuid(0));
            }
        }
        var rows = new List<Row>();
        await using (var cmd = await Db.CommandAsync(db, """
            SELECT id, original_file_name, captured_at, ST_Y(location), ST_X(location), heading, heading_from_user, sequence_id, status
            FROM pictures WHERE upload_set_id = @set AND deleted_at IS NULL AND status <> 'broken'
            FOR UPDATE
            """, ct, ("set", setId)))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new Row(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDouble(3), reader.GetDouble(4),
                    reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.GetBoolean(6), reader.IsDBNull(7) ? null : reader.GetGuid(7), reader.GetString(8)));
            }
        }

        var d = defaults.Value;
        var settings = new DispatchSettings(
            SequencePlanner.SortMethods.Contains(set.SortMethod) ? set.SortMethod : "time-asc",
            set.NoSplit, set.SplitDistanceM ?? d.SplitDistanceM, set.SplitTimeSeconds ?? d.SplitTimeSeconds,
            set.NoDeduplication, set.DuplicateDistanceM ?? d.DuplicateDistanceM, set.DuplicateRotationDeg ?? d.DuplicateRotationDeg,
            set.RelativeHeading ?? 0);
        var plan = SequencePlanner.Plan(
            [.. rows.Select(r => new DispatchPicture(r.Id, r.FileName, r.CapturedAt, r.Lat, r.Lon, r.HeadingFromUser ? r.Heading : null))],
            set.Title, settings);

        var visibility = (set.Visibility ?? account.DefaultVisibility).ToApiName();
        var license = account.DefaultLicense ?? configuration["Panoramax:Instance:LicenseId"] ?? "CC-BY-SA-4.0";
        var sequenceIds = new List<Guid>();
        for (var i = 0; i < plan.Sequences.Count; i++)
        {
            var planned = plan.Sequences[i];
            if (i < existing.Count)
            {
                sequenceIds.Add(existing[i]);
                await Db.ExecAsync(db, "UPDATE sequences SET title = @title, sorted_by = @sorted, updated_at = @now WHERE id = @id", ct,
                    ("id", existing[i]), ("title", planned.Title), ("sorted", SequencePlanner.SortedBy(settings.SortMethod)), ("now", now));
                continue;
            }
            var id = Guid.CreateVersion7(now);
            sequenceIds.Add(id);
            await Db.ExecAsync(db, """
                INSERT INTO sequences (id, origin_instance_id, account_id, upload_set_id, title, status, visibility, license, sorted_by, upload_software,
                                       user_agent, semantics, picture_count, length_km, created_at, updated_at, version)
                VALUES (@id, (SELECT id FROM instances WHERE is_self), @account, @set, @title, 'waiting-for-process', @visibility, @license, @sorted, @software,
                        @ua, @semantics::jsonb, 0, 0, @now, @now, 1)
                """, ct,
                ("id", id), ("account", set.AccountId), ("set", setId), ("title", planned.Title), ("visibility", visibility), ("license", license),
                ("sorted", SequencePlanner.SortedBy(settings.SortMethod)), ("software", UploadSoftware(set.UserAgent)), ("ua", set.UserAgent),
                ("semantics", set.Semantics), ("now", now));
        }

        // Free every rank first: (sequence_id, rank) is unique and checked row by row.
        await Db.ExecAsync(db, "UPDATE pictures SET sequence_id = NULL WHERE upload_set_id = @set AND sequence_id IS NOT NULL", ct, ("set", setId));
        var assigned = plan.Sequences.SelectMany((s, i) => s.Pictures.Select(p => (Seq: sequenceIds[i], Picture: p))).ToList();
        var before = rows.ToDictionary(r => r.Id);
        var republished = new List<(Guid Id, long Version)>();
        await using (var cmd = await Db.CommandAsync(db, """
            UPDATE pictures p SET sequence_id = u.seq, rank = u.rank,
                heading = CASE WHEN p.heading_from_user THEN p.heading ELSE u.heading END,
                updated_at = @now,
                version = CASE WHEN p.status = 'ready' THEN p.version + 1 ELSE p.version END
            FROM unnest(@ids, @seqs, @ranks, @headings) AS u(id, seq, rank, heading)
            WHERE p.id = u.id
            RETURNING p.id, p.status, p.version
            """, ct,
            ("ids", assigned.Select(a => a.Picture.Id).ToArray()), ("seqs", assigned.Select(a => a.Seq).ToArray()),
            ("ranks", assigned.Select(a => a.Picture.Rank).ToArray()),
            ("headings", new NpgsqlParameter("headings", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = assigned.Select(a => a.Picture.Heading).ToArray() }),
            ("now", now)))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (reader.GetString(1) == "ready")
                {
                    republished.Add((reader.GetGuid(0), reader.GetInt64(2)));
                }
            }
        }

        foreach (var dup in plan.Duplicates)
        {
            var wasReady = before[dup.Id].Status == "ready";
            var version = await Db.ScalarAsync<long>(db, """
                UPDATE pictures SET status = 'deleted', deleted_at = @now, updated_at = @now, version = version + 1 WHERE id = @id RETURNING version
                """, ct, ("id", dup.Id), ("now", now));
            var details = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["duplicate_of"] = dup.DuplicateOf,
                ["distance"] = dup.DistanceM,
                ["angle"] = dup.AngleDeg,
            });
            await Db.ExecAsync(db, """
                UPDATE upload_set_files SET rejection_reason = 'capture_duplicate', rejection_message = @message, rejection_details = @details::jsonb
                WHERE picture_id = @id
                """, ct, ("id", dup.Id), ("details", details),
                ("message", "The picture is too similar to another picture of the upload set (same place, same direction)"));
            await JobQueue.EnqueueAsync(db, JobKinds.DeletePictureFiles, dup.Id, clock, ct);
            if (wasReady)
            {
                await ChangeLogWriter.AppendAsync(db, EntityKind.Picture, dup.Id, ChangeOp.Tombstone, version, null, clock, ct);
            }
        }

        // Sequences no longer needed (a re-dispatch made fewer): deleted, with a tombstone if they were public.
        foreach (var gone in existing.Skip(plan.Sequences.Count))
        {
            var wasReady = await Db.ScalarAsync<string>(db, "SELECT status FROM sequences WHERE id = @id", ct, ("id", gone)) == "ready";
            var version = await Db.ScalarAsync<long>(db, """
                UPDATE sequences SET status = 'deleted', deleted_at = @now, updated_at = @now, version = version + 1 WHERE id = @id RETURNING version
                """, ct, ("id", gone), ("now", now));
            if (wasReady)
            {
                await ChangeLogWriter.AppendAsync(db, EntityKind.Sequence, gone, ChangeOp.Tombstone, version, null, clock, ct);
            }
        }

        await Db.ExecAsync(db, "UPDATE upload_sets SET dispatched = true, updated_at = @now WHERE id = @set", ct, ("set", setId), ("now", now));
        if (republished.Count > 0 || plan.Duplicates.Any(x => before[x.Id].Status == "ready"))
        {
            // Only a re-dispatch moves published pictures: their sequences' aggregates and feeds follow.
            foreach (var seq in sequenceIds)
            {
                await SequenceAggregates.RefreshAsync(Db.Connection(db), Db.Transaction(db), seq, now, ct);
            }
            foreach (var (id, version) in republished)
            {
                await ChangeLogWriter.AppendAsync(db, EntityKind.Picture, id, ChangeOp.Upsert, version, null, clock, ct);
            }
            foreach (var seq in sequenceIds)
            {
                var (status, version) = await SequenceStateAsync(seq, ct);
                if (status == "ready")
                {
                    await ChangeLogWriter.AppendAsync(db, EntityKind.Sequence, seq, ChangeOp.Upsert, version, null, clock, ct);
                }
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        logger.LogInformation("Upload set {Id}: {Pictures} pictures in {Sequences} sequences, {Duplicates} capture duplicates dropped",
            setId, assigned.Count, plan.Sequences.Count, plan.Duplicates.Count);
    }

    private async Task<(string Status, long Version)> SequenceStateAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = await Db.CommandAsync(db, "SELECT status, version FROM sequences WHERE id = @id", ct, ("id", id));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetString(0), reader.GetInt64(1));
    }

    /// <summary>GeoVisio's <c>geovisio:upload-software</c> from the client's User-Agent.</summary>
    private static string UploadSoftware(string? userAgent) => userAgent switch
    {
        null => "unknown",
        _ when userAgent.Contains("cli", StringComparison.OrdinalIgnoreCase) => "cli",
        _ when userAgent.Contains("website", StringComparison.OrdinalIgnoreCase) => "website",
        _ => "other",
    };
}
