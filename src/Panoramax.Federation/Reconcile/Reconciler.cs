using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly.CircuitBreaker;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Peers;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Service;
using Panoramax.Federation.Signing;
using Panoramax.Federation.Sync;
using Panoramax.Persistence;
using ChangeEntry = Panoramax.Federation.Protocol.V1.ChangeEntry;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;
using EntityKind = Panoramax.Domain.Federation.EntityKind;

namespace Panoramax.Federation.Reconcile;

/// <summary>A range Reconcile found different but could not repair (this run), and why.</summary>
public sealed record UnrepairableRange(Guid OriginId, long From, long To, string Reason);

/// <summary>What one Reconcile with one peer did (admin API, logs).</summary>
public sealed record ReconcileReport(
    Guid PeerId, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, int OriginsCompared, int RangesCompared, int DifferingRanges,
    int DigestCalls, long EntriesFetched, int RecordsRepaired, int DeferredRanges, IReadOnlyList<UnrepairableRange> UnrepairableRanges,
    string? Error);

/// <summary>Thrown when a Reconcile with the same peer is already running.</summary>
public sealed class ReconcileBusyException(Guid peer) : Exception($"A reconcile with peer {peer} is already running.");

/// <summary>
/// Finds and repairs divergence between this instance's copy of each origin a trusted peer serves and the peer's log,
/// without copying everything (spec §7.1): range digests are compared and bisected; only the differing ranges of at
/// most <see cref="RangeBisector.LeafSize"/> seqs are fetched, verified against our own stored chain and the origin's
/// key, and applied again over the records that diverged. Bounded work per run; what cannot be repaired is reported.
/// </summary>
public sealed class Reconciler(
    IServiceScopeFactory scopes,
    NpgsqlDataSource db,
    PeerClients clients,
    ChangeApplier applier,
    InstanceKeyStore key,
    IFederationHost host,
    ReconcileReportStore reports,
    TimeProvider clock,
    ILogger<Reconciler> logger)
{
    public const string Capability = "reconcile.v1";
    /// <summary>Ranges fetched per origin and run: at most 64 × 256 entries copied by one run.</summary>
    public const int MaxLeavesPerOrigin = 64;

    private readonly ConcurrentDictionary<Guid, byte> _running = new();

    /// <summary>The peer's last stored report (also from before a restart), null when it was never reconciled.</summary>
    public async Task<ReconcileReport?> LastReportAsync(Guid peer, CancellationToken ct) =>
        await reports.HistoryAsync(peer, 1, ct) is [var last, ..] ? last : null;

    public async Task<ReconcileReport> ReconcileAsync(Guid peerId, CancellationToken ct)
    {
        if (!_running.TryAdd(peerId, 0))
        {
            throw new ReconcileBusyException(peerId);
        }
        try
        {
            var run = new Run(peerId, clock.GetUtcNow());
            try
            {
                await RunAsync(run, ct);
            }
            catch (RpcException e)
            {
                run.Error ??= $"{e.StatusCode}: {e.Status.Detail}";
            }
            catch (BrokenCircuitException)
            {
                run.Error ??= "circuit open: the peer failed repeatedly, retrying later";
            }
            catch (PeerKeyMismatchException e)
            {
                run.Error ??= e.Message;
            }
            catch (HttpRequestException e)
            {
                run.Error ??= e.Message;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Anything else (a timeout of the resilience pipeline, a database error) still ends in a stored, failed report.
                logger.LogError(e, "Reconcile with peer {Peer} failed", peerId);
                run.Error ??= $"{e.GetType().Name}: {e.Message}";
            }
            var report = run.Report(clock.GetUtcNow());
            try
            {
                await reports.SaveAsync(report, ct);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The peer may have been removed meanwhile (its reports go with it); the caller still gets the report.
                logger.LogWarning(e, "Reconcile with peer {Peer}: the report could not be stored", peerId);
            }
            if (report.Error is not null)
            {
                logger.LogWarning("Reconcile with peer {Peer}: {Error}", peerId, report.Error);
            }
            else
            {
                logger.LogInformation("Reconcile with peer {Peer}: {Compared} ranges compared, {Differing} differing, {Fetched} entries fetched, {Repaired} records repaired, {Unrepairable} unrepairable",
                    peerId, report.RangesCompared, report.DifferingRanges, report.EntriesFetched, report.RecordsRepaired, report.UnrepairableRanges.Count);
            }
            return report;
        }
        finally
        {
            _running.TryRemove(peerId, out _);
        }
    }

    private async Task RunAsync(Run run, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var dbc = scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>();
        var directory = scope.ServiceProvider.GetRequiredService<PeerDirectory>();
        var peer = await dbc.Instances.AsNoTracking().SingleOrDefaultAsync(i => i.Id == run.PeerId, ct);
        if (peer is not { IsPeer: true, Trust: PeerTrust.Trusted, FederationUrl: { } url, PublicKey: { } pinned })
        {
            run.Error = "not a trusted peer";
            return;
        }
        var self = await directory.SelfAsync(ct);
        var client = clients.Client(url);
        var pipeline = clients.Pipeline(run.PeerId);
        var hello = await pipeline.ExecuteAsync(async t => await client.HelloAsync(
            new HelloRequest { Caller = FederationGrpcService.SelfInfo(self, key, host) },
            clients.Headers(self.Id, run.PeerId), clients.Deadline(), t), ct);
        if (hello.Instance?.InstanceId != run.PeerId.ToString() || !hello.Instance.PublicKey.Span.SequenceEqual(pinned))
        {
            throw new PeerKeyMismatchException(run.PeerId);
        }
        if (!hello.Instance.Capabilities.Contains(Capability))
        {
            run.Error = $"the peer does not announce {Capability}";
            return;
        }
        var link = new PeerLink(client, pipeline, self.Id, run.PeerId);
        foreach (var state in hello.Origins)
        {
            if (!Guid.TryParse(state.OriginId, out var originId) || originId == self.Id)
            {
                continue;
            }
            // Only origins we already follow with a pinned key: a new origin is the sync's business, not a repair.
            var origin = await dbc.Instances.AsNoTracking().SingleOrDefaultAsync(i => i.Id == originId, ct);
            if (origin is not { PublicKey: { } originKey } || origin.Trust == PeerTrust.Blocked || !originKey.AsSpan().SequenceEqual(state.PublicKey.Span))
            {
                continue;
            }
            if (!await ReconcileOriginAsync(run, link, originId, originKey, origin.LastSeq, state, ct))
            {
                return;
            }
        }
    }

    /// <summary>Compares, bisects and repairs one origin; false when the peer served something we refuse (the run stops).</summary>
    private async Task<bool> ReconcileOriginAsync(Run run, PeerLink link, Guid origin, byte[] originKey, long cursor, OriginState state, CancellationToken ct)
    {
        var horizon = Math.Min(cursor, state.MaxSeq);
        // Below the peer's retention floor its log is incomplete: there is nothing to compare with.
        var start = Math.Max(1, state.MinSeq);
        if (horizon < start)
        {
            return true;
        }
        run.OriginsCompared++;
        var result = await RangeBisector.BisectAsync(new SeqSpan(start, horizon),
            (ranges, t) => RemoteDigestsAsync(link, origin, ranges, horizon, t),
            (ranges, t) => LocalDigestsAsync(origin, ranges, horizon, t),
            MaxLeavesPerOrigin, ct);
        run.RangesCompared += result.RangesCompared;
        run.DifferingRanges += result.DifferingRanges;
        run.DigestCalls += result.Calls;
        run.DeferredRanges += result.DeferredRanges;
        foreach (var leaf in result.Leaves)
        {
            if (!await RepairAsync(run, link, origin, originKey, cursor, horizon, leaf, ct))
            {
                return false;
            }
        }
        return true;
    }

    private async Task<IReadOnlyList<RangeDigestValue>> RemoteDigestsAsync(PeerLink link, Guid origin, IReadOnlyList<SeqSpan> ranges, long horizon, CancellationToken ct)
    {
        var request = new GetDigestsRequest { OriginId = origin.ToString(), HorizonSeq = horizon };
        request.Ranges.AddRange(ranges.Select(r => new SeqRange { FromSeq = r.From, ToSeq = r.To }));
        var response = await link.Pipeline.ExecuteAsync(async t => await link.Client.GetDigestsAsync(
            request, clients.Headers(link.Self, link.Peer), clients.Deadline(), t), ct);
        if (response.Digests.Count != ranges.Count)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"the peer answered {response.Digests.Count} digests for {ranges.Count} ranges"));
        }
        return [.. response.Digests.Select((d, i) =>
            d.Range?.FromSeq == ranges[i].From && d.Range.ToSeq == ranges[i].To && d.Digest.Length == FeedCrypto.HashSize
                ? new RangeDigestValue(ranges[i].From, ranges[i].To, d.Count, d.Digest.ToByteArray())
                : throw new RpcException(new Status(StatusCode.Internal, $"the peer's digest {i} does not answer the range asked")))];
    }

    private async Task<IReadOnlyList<RangeDigestValue>> LocalDigestsAsync(Guid origin, IReadOnlyList<SeqSpan> ranges, long horizon, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await DigestQueries.HeldDigestsAsync(conn, null, origin, ranges, horizon, ct);
    }

    /// <summary>Fetches, verifies and applies one differing range; false when the peer's entries were refused.</summary>
    private async Task<bool> RepairAsync(Run run, PeerLink link, Guid origin, byte[] originKey, long cursor, long horizon, RangeDigestValue theirs, CancellationToken ct)
    {
        // Our stored neighbours anchor the segment; entries missing here around the range are fetched with it.
        var (from, to, startHash, endHash) = await AnchorsAsync(origin, theirs.From, theirs.To, cursor, ct);
        if (theirs.From - from > RangeBisector.LeafSize || to - theirs.To > RangeBisector.LeafSize)
        {
            run.Unrepairable.Add(new UnrepairableRange(origin, theirs.From, theirs.To, "too many entries of our stored log are missing around the range"));
            return true;
        }
        var segment = new List<ChangeEntry>((int)(to - from + 1));
        try
        {
            await link.Pipeline.ExecuteAsync(async t =>
            {
                segment.Clear();
                using var call = link.Client.GetChanges(
                    new GetChangesRequest { OriginId = origin.ToString(), SinceSeq = from - 1, MaxEntries = (uint)(to - from + 1) },
                    clients.Headers(link.Self, link.Peer), clients.Deadline().AddMinutes(5), t);
                await foreach (var e in call.ResponseStream.ReadAllAsync(t))
                {
                    segment.Add(e);
                    if (segment.Count > to - from + 1)
                    {
                        break;
                    }
                }
            }, ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail.Contains("RESYNC_REQUIRED", StringComparison.Ordinal))
        {
            run.Unrepairable.Add(new UnrepairableRange(origin, theirs.From, theirs.To, "below the peer's retention floor (RESYNC_REQUIRED)"));
            return true;
        }
        run.EntriesFetched += segment.Count;
        var (entries, refusal) = SegmentVerifier.Verify(origin, originKey, from, to, startHash, endHash, segment);
        if (refusal is not null)
        {
            var error = $"reconcile: refused the peer's entries {origin}/[{from}, {to}]: {refusal}";
            logger.LogWarning("Peer {Peer}: {Error}", link.Peer, error);
            run.Unrepairable.Add(new UnrepairableRange(origin, theirs.From, theirs.To, $"refused: {refusal}"));
            run.Error = error;
            await RecordRefusalAsync(link.Peer, error, ct);
            return false;
        }

        var range = new[] { new SeqSpan(theirs.From, theirs.To) };
        await using var session = await applier.BeginAsync(origin, ct);
        var before = (await DigestQueries.HeldLinesAsync(session.Connection, session.Transaction, origin, range, horizon, ct))[0];
        await ResetDivergedAsync(session, origin, entries, theirs, to, horizon, ct);
        await session.ApplyRecordsAsync(entries, ct);
        var after = (await DigestQueries.HeldLinesAsync(session.Connection, session.Transaction, origin, range, horizon, ct))[0];
        await session.CommitAsync(null, 0, ct);

        var changed = before.ToHashSet();
        changed.SymmetricExceptWith(after);
        run.RecordsRepaired += changed.Select(l => (l.Kind, l.EntityId)).Distinct().Count();
        if (!RangeDigestBuilder.Of(theirs.From, theirs.To, after).SameAs(theirs))
        {
            // Signed entries we still cannot hold as the peer does: unreadable payload, a record of another origin, a
            // record this instance does not take. Reported, and compared again next run (bounded by the leaf budget).
            run.Unrepairable.Add(new UnrepairableRange(origin, theirs.From, theirs.To, "still differs after repair: records this instance cannot hold as the peer does"));
        }
        return true;
    }

    /// <summary>
    /// The fetch range widened over entries missing from our stored log next to it, the hash of our entry before it
    /// (zeros for seq 1) and the hash the segment must end on: the prev_hash of our entry after it, or when the range
    /// reaches our cursor our entry there (null when we lack it: then the segment must end on a verified checkpoint).
    /// </summary>
    private async Task<(long From, long To, byte[] StartHash, byte[]? EndHash)> AnchorsAsync(Guid origin, long from, long to, long cursor, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT (SELECT seq FROM change_log WHERE origin_instance_id = @o AND seq < @f ORDER BY seq DESC LIMIT 1),
                   (SELECT entry_hash FROM change_log WHERE origin_instance_id = @o AND seq < @f ORDER BY seq DESC LIMIT 1),
                   (SELECT seq FROM change_log WHERE origin_instance_id = @o AND seq > @t AND seq <= @c ORDER BY seq LIMIT 1),
                   (SELECT prev_hash FROM change_log WHERE origin_instance_id = @o AND seq > @t AND seq <= @c ORDER BY seq LIMIT 1),
                   (SELECT entry_hash FROM change_log WHERE origin_instance_id = @o AND seq = greatest(@t, @c))
            """);
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("f", from);
        cmd.Parameters.AddWithValue("t", to);
        cmd.Parameters.AddWithValue("c", cursor);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var (startFrom, startHash) = r.IsDBNull(0) || r.IsDBNull(1) ? (1L, new byte[FeedCrypto.HashSize]) : (r.GetInt64(0) + 1, (byte[])r[1]);
        // Up to our cursor, our own last entry is the anchor; only when it is missing here does the origin's checkpoint suffice.
        var (endTo, endHash) = r.IsDBNull(2)
            ? (Math.Max(to, cursor), r.IsDBNull(4) ? null : (byte[])r[4])
            : (r.GetInt64(2) - 1, r.IsDBNull(3) ? null : (byte[])r[3]);
        return (startFrom, endTo, startHash, endHash);
    }

    /// <summary>
    /// Makes the records of the segment that diverged lose against its entries: for the newest entry of a record (no
    /// newer one in our log) that our copy does not match, the copy's version is reset so the normal apply rules rewrite
    /// it. A copy newer than the entry is only reset when the segment's newest entries are provably the peer's (their
    /// digest is the peer's): otherwise the newer entry may just be missing from our log, and we never move a record back.
    /// </summary>
    private static async Task ResetDivergedAsync(ApplySession session, Guid origin, IReadOnlyList<ChangeLogEntry> entries, RangeDigestValue theirs, long to, long horizon, CancellationToken ct)
    {
        var newest = new Dictionary<(EntityKind, Guid), ChangeLogEntry>();
        foreach (var e in entries)
        {
            newest[(e.EntityKind, e.EntityId)] = e;
        }
        var ids = newest.Values.Select(e => e.EntityId).Distinct().ToArray();
        var held = new Dictionary<(EntityKind, Guid), (string Status, string Visibility, bool Deleted, long Version)>();
        var later = new Dictionary<(EntityKind, Guid), long>();
        await using (var batch = new NpgsqlBatch(session.Connection, session.Transaction))
        {
            batch.BatchCommands.Add(Cmd("SELECT 'picture', id, status::text, visibility::text, deleted_at IS NOT NULL, version FROM pictures WHERE id = ANY(@ids) AND origin_instance_id = @o"));
            batch.BatchCommands.Add(Cmd("SELECT 'sequence', id, status::text, visibility::text, deleted_at IS NOT NULL, version FROM sequences WHERE id = ANY(@ids) AND origin_instance_id = @o"));
            batch.BatchCommands.Add(Cmd("SELECT entity_kind, entity_id, min(seq) FROM change_log WHERE entity_id = ANY(@ids) AND origin_instance_id = @o AND seq > @t GROUP BY entity_kind, entity_id"));
            await using var r = await batch.ExecuteReaderAsync(ct);
            for (var k = 0; k < 2; k++)
            {
                while (await r.ReadAsync(ct))
                {
                    held[(ApiNames.ParseApiName<EntityKind>(r.GetString(0)), r.GetGuid(1))] = (r.GetString(2), r.GetString(3), r.GetBoolean(4), r.GetInt64(5));
                }
                await r.NextResultAsync(ct);
            }
            while (await r.ReadAsync(ct))
            {
                later[(ApiNames.ParseApiName<EntityKind>(r.GetString(0)), r.GetGuid(1))] = r.GetInt64(2);
            }
        }
        // The peer's newest entries of the range, if our guess from the segment and our log is right.
        var guess = RangeDigestBuilder.Of(theirs.From, theirs.To, newest
            .Where(kv => kv.Value.Seq >= theirs.From && kv.Value.Seq <= Math.Min(theirs.To, horizon) && !(later.TryGetValue(kv.Key, out var l) && l <= horizon))
            .Select(kv => kv.Value).OrderBy(e => e.Seq)
            .Select(e => new DigestLine(e.Seq, e.EntityKind, e.EntityId, e.EntityVersion, DigestLine.OpCode(e.Op))));
        var exact = guess.SameAs(theirs);
        var reset = new List<(EntityKind Kind, Guid Id)>();
        foreach (var ((kind, id), e) in newest)
        {
            if (kind == EntityKind.Account || later.ContainsKey((kind, id)) || !held.TryGetValue((kind, id), out var row))
            {
                // Accounts have no version; a newer entry of ours stands (another range's business); nothing held: the apply inserts it.
                continue;
            }
            var live = !row.Deleted && row.Status == "ready" && row.Visibility == "anyone";
            var matches = e.Op == ChangeOp.Upsert ? live && row.Version == e.EntityVersion : (row.Deleted || row.Status == "deleted") && row.Version == e.EntityVersion;
            if (!matches && (row.Version <= e.EntityVersion || exact))
            {
                reset.Add((kind, id));
            }
        }
        foreach (var (kind, list) in reset.GroupBy(x => x.Kind).Select(g => (g.Key, g.Select(x => x.Id).ToArray())))
        {
            var table = kind == EntityKind.Picture ? "pictures" : "sequences";
            await using var cmd = new NpgsqlCommand($"UPDATE {table} SET version = 0 WHERE id = ANY(@ids) AND origin_instance_id = @o", session.Connection, session.Transaction);
            cmd.Parameters.AddWithValue("ids", list);
            cmd.Parameters.AddWithValue("o", origin);
            await cmd.ExecuteNonQueryAsync(ct);
        }

        NpgsqlBatchCommand Cmd(string sql)
        {
            var c = new NpgsqlBatchCommand(sql);
            c.Parameters.AddWithValue("ids", ids);
            c.Parameters.AddWithValue("o", origin);
            c.Parameters.AddWithValue("t", to);
            return c;
        }
    }

    private async Task RecordRefusalAsync(Guid peer, string error, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("UPDATE instances SET last_error = @error, rejected_entries = rejected_entries + 1 WHERE id = @id");
        cmd.Parameters.AddWithValue("error", error.Length > 2000 ? error[..2000] : error);
        cmd.Parameters.AddWithValue("id", peer);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private sealed record PeerLink(Protocol.V1.Federation.FederationClient Client, Polly.ResiliencePipeline Pipeline, Guid Self, Guid Peer);

    private sealed class Run(Guid peerId, DateTimeOffset startedAt)
    {
        public Guid PeerId { get; } = peerId;
        public int OriginsCompared { get; set; }
        public int RangesCompared { get; set; }
        public int DifferingRanges { get; set; }
        public int DigestCalls { get; set; }
        public long EntriesFetched { get; set; }
        public int RecordsRepaired { get; set; }
        public int DeferredRanges { get; set; }
        public List<UnrepairableRange> Unrepairable { get; } = [];
        public string? Error { get; set; }

        public ReconcileReport Report(DateTimeOffset finishedAt) => new(PeerId, startedAt, finishedAt, OriginsCompared, RangesCompared,
            DifferingRanges, DigestCalls, EntriesFetched, RecordsRepaired, DeferredRanges, [.. Unrepairable], Error);
    }
}
