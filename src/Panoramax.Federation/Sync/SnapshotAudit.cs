using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Signing;
using Panoramax.Persistence;
using ChangeEntry = Panoramax.Federation.Protocol.V1.ChangeEntry;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;

namespace Panoramax.Federation.Sync;

/// <summary>What one audit of one origin found (spec §7, "Pruned entries").</summary>
/// <param name="Violations">Pruned upserts the peer serves as the newest entry of their record (or serves altered): refused.</param>
/// <param name="Repaired">Records whose newest entry got its payload back, from the peer or from the origin, and were applied.</param>
/// <param name="Unresolved">Records still held only as a pruned newest entry after this audit (reported, audited again next pull).</param>
/// <param name="Error">The text for the peer's status, or null.</param>
public sealed record SnapshotAuditResult(int Violations, int Repaired, int Unresolved, string? Error)
{
    /// <summary>Nothing to report.</summary>
    public static readonly SnapshotAuditResult Clean = new(0, 0, 0, null);
}

/// <summary>A pruned upsert of the stored log with no later entry of its record: its seq, record and stored entry hash.</summary>
public sealed record PrunedNewestEntry(long Seq, string Kind, Guid EntityId, byte[] EntryHash);

/// <summary>The peer being pulled, as the synchronizer calls it.</summary>
public sealed record AuditedPeer(Protocol.V1.Federation.FederationClient Client, ResiliencePipeline Pipeline, Guid Self, Guid Peer);

/// <summary>
/// Checks the rule that makes a snapshot trustworthy (spec §7): a pruned upsert is valid only when a later entry of the
/// same origin and record follows it, since retention never prunes the newest entry of a record. A relay that strips the
/// payload of a record's newest entry keeps the chain valid (the header hash covers the payload hash, not the payload),
/// so the check is over the stored log once it is complete: after a pull that reached what the peer announced, the
/// records of the origin whose newest stored entry is a pruned upsert (one indexed query over the pruned entries not yet
/// audited; bounded memory, <see cref="MaxPerAudit"/> records at a time).
/// Each such record is asked of the peer once more (GetSnapshot of that one seq): a whole entry that matches the stored
/// header repairs it; a pruned one (or one that does not match) is a violation by this peer: counted as a refused entry,
/// shown as its sync error, and the entry is asked of the origin itself when the origin is a trusted peer of ours.
/// What nobody can give stays held as the header only (never applied) and is reported again on every pull.
/// </summary>
public sealed class SnapshotAudit(
    IServiceScopeFactory scopes,
    NpgsqlDataSource db,
    PeerClients clients,
    ChangeApplier applier,
    ILogger<SnapshotAudit> logger)
{
    /// <summary>Records checked (and asked of peers, one call each) per audit; the rest waits for the next pull.</summary>
    public const int MaxPerAudit = 64;

    // Per origin: every pruned entry at or below this seq was audited and is superseded or repaired. Starts at 0 in each
    // process (one full pass over the origin's pruned entries), and stays below a record that is still unresolved.
    private readonly ConcurrentDictionary<Guid, long> _auditedUpTo = new();

    /// <summary>
    /// Audits the stored log of <paramref name="origin"/> after a pull from <paramref name="peer"/>, which announced
    /// <paramref name="peerMaxSeq"/>. Does nothing until this instance stands at that seq: before that, a later entry of a
    /// record may simply not have arrived yet.
    /// </summary>
    public async Task<SnapshotAuditResult> AuditAsync(AuditedPeer peer, Instance origin, long peerMaxSeq, CancellationToken ct)
    {
        var position = await PositionAsync(origin.Id, ct);
        var from = _auditedUpTo.GetValueOrDefault(origin.Id);
        if (position < peerMaxSeq || position <= from)
        {
            return SnapshotAuditResult.Clean;
        }
        var candidates = await NewestPrunedAsync(db, origin.Id, from, position, MaxPerAudit, ct);
        if (candidates.Count == 0)
        {
            _auditedUpTo[origin.Id] = position;
            return SnapshotAuditResult.Clean;
        }

        var violations = new List<long>();
        var unresolved = new List<long>();
        var repaired = 0;
        AuditedPeer? originPeer = null;
        var originLooked = false;
        foreach (var c in candidates)
        {
            var (answer, whole) = Check(await FetchAsync(peer, origin.Id, c.Seq, ct), origin.Id, c);
            if (answer == Answer.Whole)
            {
                // The peer holds it whole: the copy came from elsewhere (or was interrupted); nothing against this peer.
                repaired += await RepairAsync(origin.Id, whole!, ct) ? 1 : 0;
                continue;
            }
            if (answer is Answer.Stripped or Answer.Differs)
            {
                violations.Add(c.Seq);
                logger.LogWarning("Peer {Peer}: entry {Origin}/{Seq} ({Kind} {Entity}) is served pruned although it is the newest entry of its record: refused",
                    peer.Peer, origin.Id, c.Seq, c.Kind, c.EntityId);
            }
            // Another source: the origin itself, when we follow it directly (and it is not the peer we just asked).
            if (!originLooked)
            {
                originLooked = true;
                originPeer = await OriginLinkAsync(peer, origin.Id, ct);
            }
            if (originPeer is not null)
            {
                var (fromOrigin, entry) = Check(await FetchAsync(originPeer, origin.Id, c.Seq, ct), origin.Id, c);
                if (fromOrigin == Answer.Whole && await RepairAsync(origin.Id, entry!, ct))
                {
                    repaired++;
                    continue;
                }
            }
            unresolved.Add(c.Seq);
        }

        // Unresolved records are audited again on the next pull; past them (or past the last checked one) not yet.
        _auditedUpTo[origin.Id] = unresolved.Count > 0 ? unresolved[0] - 1
            : candidates.Count == MaxPerAudit ? candidates[^1].Seq
            : position;
        if (violations.Count == 0 && unresolved.Count == 0)
        {
            return new SnapshotAuditResult(0, repaired, 0, null);
        }
        var error = violations.Count == 0
            ? $"origin {origin.Id}: {unresolved.Count} records are held only as a pruned newest entry (seqs {Seqs(unresolved)}) and no peer gave them whole yet"
            : $"origin {origin.Id}: refused {violations.Count} pruned entries served as the newest entry of their record (seqs {Seqs(violations)}), "
              + $"which retention never prunes (spec §7); {repaired} records repaired from another source, {unresolved.Count} still missing";
        return new SnapshotAuditResult(violations.Count, repaired, unresolved.Count, error);

        static string Seqs(List<long> seqs) => string.Join(", ", seqs.Take(10)) + (seqs.Count > 10 ? ", …" : "");
    }

    private enum Answer
    {
        /// <summary>No answer (the peer lacks the entry, does not offer snapshot.v1, or failed).</summary>
        None,
        Whole,
        Stripped,
        /// <summary>Not the entry we hold under that seq: another chain, or a payload that does not match its hash.</summary>
        Differs,
    }


    /// <summary>Compares a served entry with the header we hold (verified in its chain when it was stored).</summary>
    private static (Answer, ChangeLogEntry?) Check(ChangeEntry? wire, Guid origin, PrunedNewestEntry held)
    {
        if (wire is null)
        {
            return (Answer.None, null);
        }
        var e = WireEntries.FromWire(wire);
        if (e is null || e.OriginInstanceId != origin || e.Seq != held.Seq)
        {
            return (Answer.Differs, null);
        }
        var hash = FeedCrypto.EntryHash(origin, e.Seq, e.EntityKind, e.EntityId, e.Op, e.EntityVersion, wire.CreatedAtUs,
            wire.PayloadHash.Span, wire.PrevHash.Span);
        if (!hash.AsSpan().SequenceEqual(held.EntryHash))
        {
            return (Answer.Differs, null);
        }
        if (e.Op != ChangeOp.Upsert)
        {
            return (Answer.Differs, null);
        }
        if (e.Payload is null)
        {
            return (Answer.Stripped, null);
        }
        if (!FeedCrypto.PayloadHash(wire.Payload.Span).AsSpan().SequenceEqual(wire.PayloadHash.Span))
        {
            return (Answer.Differs, null);
        }
        e.EntryHash = hash;
        return (Answer.Whole, e);
    }

    /// <summary>One entry by seq, with GetSnapshot: unlike GetChanges it answers below the peer's retention floor.</summary>
    private async Task<ChangeEntry?> FetchAsync(AuditedPeer link, Guid origin, long seq, CancellationToken ct)
    {
        try
        {
            return await link.Pipeline.ExecuteAsync(async t =>
            {
                using var call = link.Client.GetSnapshot(new GetSnapshotRequest { OriginId = origin.ToString(), AfterSeq = seq - 1, MaxEntries = 1 },
                    clients.Headers(link.Self, link.Peer), clients.Deadline(), t);
                await foreach (var e in call.ResponseStream.ReadAllAsync(t))
                {
                    return e;
                }
                return null;
            }, ct);
        }
        catch (Exception e) when (e is RpcException or BrokenCircuitException or HttpRequestException)
        {
            logger.LogInformation("Asking {Peer} for entry {Origin}/{Seq}: {Error}", link.Peer, origin, seq, e.Message);
            return null;
        }
    }

    /// <summary>The origin as a trusted peer of ours (not the peer being audited), or null.</summary>
    private async Task<AuditedPeer?> OriginLinkAsync(AuditedPeer peer, Guid origin, CancellationToken ct)
    {
        if (origin == peer.Peer)
        {
            return null;
        }
        await using var scope = scopes.CreateAsyncScope();
        var dbc = scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>();
        var row = await dbc.Instances.AsNoTracking().SingleOrDefaultAsync(i => i.Id == origin, ct);
        return row is { IsPeer: true, Trust: PeerTrust.Trusted, FederationUrl: { } url }
            ? new AuditedPeer(clients.Client(url), clients.Pipeline(origin), peer.Self, origin)
            : null;
    }

    /// <summary>
    /// Applies the whole entry with the usual rules (its version decides) and puts its payload back into our stored header,
    /// so the log is the origin's again and we relay it whole; in one transaction with the origin's applier lock.
    /// </summary>
    private async Task<bool> RepairAsync(Guid origin, ChangeLogEntry entry, CancellationToken ct)
    {
        await using var session = await applier.BeginAsync(origin, ct);
        await session.ApplyRecordsAsync([entry], ct);
        await using (var cmd = new NpgsqlCommand("""
            UPDATE change_log SET payload = @p
            WHERE origin_instance_id = @o AND seq = @s AND entry_hash = @h AND op = 'upsert' AND payload IS NULL
            """, session.Connection, session.Transaction))
        {
            cmd.Parameters.AddWithValue("p", entry.Payload!);
            cmd.Parameters.AddWithValue("o", origin);
            cmd.Parameters.AddWithValue("s", entry.Seq);
            cmd.Parameters.AddWithValue("h", entry.EntryHash!);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0)
            {
                // Repaired meanwhile by another pull: nothing to commit.
                return true;
            }
        }
        await session.CommitAsync(null, 0, ct);
        logger.LogInformation("Entry {Origin}/{Seq}: payload restored from another source, {Kind} {Entity} applied", origin, entry.Seq, entry.EntityKind, entry.EntityId);
        return true;
    }

    /// <summary>
    /// Pruned upserts of the origin in (<paramref name="after"/>, <paramref name="upTo"/>] with no later entry of their record
    /// in the stored log, in seq order, at most <paramref name="limit"/>: a range scan of ix_change_log_pruned, one probe of
    /// ix_change_log_entity_kind_entity_id_seq each. Empty for an honest log.
    /// </summary>
    public static async Task<List<PrunedNewestEntry>> NewestPrunedAsync(NpgsqlDataSource db, Guid origin, long after, long upTo, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT c.seq, c.entity_kind::text, c.entity_id, c.entry_hash FROM change_log c
            WHERE c.origin_instance_id = @o AND c.op = 'upsert' AND c.payload IS NULL AND c.sealed_at IS NOT NULL
              AND c.seq > @after AND c.seq <= @upTo
              AND NOT EXISTS (SELECT 1 FROM change_log n
                              WHERE n.entity_kind = c.entity_kind AND n.entity_id = c.entity_id AND n.seq > c.seq
                                AND n.origin_instance_id = c.origin_instance_id)
            ORDER BY c.seq LIMIT @n
            """);
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("after", after);
        cmd.Parameters.AddWithValue("upTo", upTo);
        cmd.Parameters.AddWithValue("n", limit);
        var list = new List<PrunedNewestEntry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new PrunedNewestEntry(r.GetInt64(0), r.GetString(1), r.GetGuid(2), (byte[])r[3]));
        }
        return list;
    }

    private async Task<long> PositionAsync(Guid origin, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT last_seq FROM instances WHERE id = @o");
        cmd.Parameters.AddWithValue("o", origin);
        return await cmd.ExecuteScalarAsync(ct) is long l ? l : 0;
    }
}
