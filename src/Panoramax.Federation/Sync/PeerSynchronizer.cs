using System.Threading.Channels;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.CircuitBreaker;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Peers;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Service;
using Panoramax.Federation.Signing;
using Panoramax.Persistence;

namespace Panoramax.Federation.Sync;

/// <summary>Summary of one pull from one peer.</summary>
public sealed record SyncOutcome(int Applied, int Rejected, string? Error);

/// <summary>
/// Pulls every origin a trusted peer serves (itself and the origins it relays) from where this instance stands,
/// verifies the chain and signatures as entries stream in, and applies them in bounded batches. Memory stays bounded
/// whatever the backlog: at most one batch plus the unverified run after the last checkpoint.
/// </summary>
public sealed class PeerSynchronizer(
    IServiceScopeFactory scopes,
    NpgsqlDataSource db,
    PeerClients clients,
    ChangeApplier applier,
    SnapshotAudit audit,
    FeedSignal signal,
    InstanceKeyStore key,
    IFederationHost host,
    IOptions<FederationOptions> options,
    TimeProvider clock,
    ILogger<PeerSynchronizer> logger)
{
    public async Task<SyncOutcome> SyncAsync(Guid peerId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var dbc = scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>();
        var directory = scope.ServiceProvider.GetRequiredService<PeerDirectory>();
        var peer = await dbc.Instances.AsNoTracking().SingleOrDefaultAsync(i => i.Id == peerId, ct);
        if (peer is not { IsPeer: true, Trust: PeerTrust.Trusted, FederationUrl: { } url, PublicKey: { } pinned })
        {
            return new SyncOutcome(0, 0, null);
        }
        var self = await directory.SelfAsync(ct);
        var client = clients.Client(url);
        var pipeline = clients.Pipeline(peerId);
        int applied = 0, rejected = 0;
        string? error = null;
        try
        {
            var hello = await pipeline.ExecuteAsync(async t => await client.HelloAsync(
                new HelloRequest { Caller = FederationGrpcService.SelfInfo(self, key, host) },
                clients.Headers(self.Id, peerId), clients.Deadline(), t), ct);
            if (hello.Instance?.InstanceId != peerId.ToString() || !hello.Instance.PublicKey.Span.SequenceEqual(pinned))
            {
                throw new PeerKeyMismatchException(peerId);
            }
            foreach (var origin in hello.Origins)
            {
                if (!Guid.TryParse(origin.OriginId, out var originId) || originId == self.Id)
                {
                    continue;
                }
                var known = await directory.RecordOriginAsync(origin, ct);
                if (known is null || known.Trust == PeerTrust.Blocked || known.PublicKey is null)
                {
                    continue;
                }
                // A stream ends after the server's page size: go on while it makes progress and the peer has more.
                // Behind the peer's retention floor (RESYNC_REQUIRED) the pages come from GetSnapshot until we stand
                // at or past the floor, then the feed takes over again (spec §7).
                var snapshot = false;
                for (var pass = 0; pass < 10_000; pass++)
                {
                    var (a, r, e, resync) = await PullOriginAsync(client, pipeline, self.Id, peerId, known, origin.MaxSeq, snapshot, ct);
                    applied += a;
                    rejected += r;
                    if (resync && !snapshot)
                    {
                        if (!hello.Instance.Capabilities.Contains("snapshot.v1"))
                        {
                            error ??= $"origin {originId}: the peer requires a resync (RESYNC_REQUIRED) but does not offer snapshot.v1";
                            break;
                        }
                        logger.LogInformation("Peer {Peer}: behind its retention floor for origin {Origin} (min_seq {MinSeq}); copying a snapshot",
                            peer.Name, originId, origin.MinSeq);
                        snapshot = true;
                        continue;
                    }
                    error ??= e;
                    var position = (await PositionAsync(originId, ct)).Seq;
                    if (a == 0 || e is not null || position >= origin.MaxSeq)
                    {
                        break;
                    }
                    if (snapshot && position >= origin.MinSeq - 1)
                    {
                        snapshot = false;
                    }
                }
                // Spec §7: a pruned upsert that is the newest entry of its record is refused, and the record sought elsewhere.
                var audited = await audit.AuditAsync(new AuditedPeer(client, pipeline, self.Id, peerId), known, origin.MaxSeq, ct);
                (rejected, error) = (rejected + audited.Violations, error ?? audited.Error);
            }
        }
        catch (RpcException e)
        {
            error = $"{e.StatusCode}: {e.Status.Detail}";
        }
        catch (BrokenCircuitException)
        {
            error = "circuit open: the peer failed repeatedly, retrying later";
        }
        catch (PeerKeyMismatchException e)
        {
            error = e.Message;
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }
        await RecordStatusAsync(peerId, rejected, error, ct);
        if (applied > 0)
        {
            // Relayed entries are news for our other peers too.
            signal.Pulse();
        }
        if (error is not null)
        {
            logger.LogWarning("Sync with peer {Peer} ({Url}): {Error}", peer.Name, url, error);
        }
        return new SyncOutcome(applied, rejected, error);
    }

    /// <summary>
    /// Entries asked per stream: as many as this implementation serves (a peer may stop sooner; the caller then asks
    /// again). Each new stream drains the read/apply overlap once, so a long backlog wants few of them.
    /// </summary>
    private const int PageSize = FederationGrpcService.MaxEntriesCap;

    /// <summary>
    /// One stream of one origin from where we stand: GetChanges, or with <paramref name="snapshot"/> one GetSnapshot page
    /// (pruned entries accepted as headers). Verified entries are applied in batches, each committed with the cursor, so
    /// an interrupted copy resumes from the last batch. ResyncRequired: the peer answered RESYNC_REQUIRED.
    /// </summary>
    private async Task<(int Applied, int Rejected, string? Error, bool ResyncRequired)> PullOriginAsync(
        Protocol.V1.Federation.FederationClient client, Polly.ResiliencePipeline pipeline, Guid self, Guid peerId, Instance origin, long peerMax,
        bool snapshot, CancellationToken ct)
    {
        int applied = 0, rejected = 0, refused = 0;
        string? error = null;
        var resync = false;
        var batchSize = options.Value.BatchSize;
        await pipeline.ExecuteAsync(async t =>
        {
            var (since, lastHash) = await PositionAsync(origin.Id, t);
            if (since >= peerMax)
            {
                await TouchCursorAsync(peerId, origin.Id, since, peerMax, t);
                return;
            }
            var verifier = new ChainVerifier(origin.Id, origin.PublicKey!, since, lastHash, allowPruned: snapshot);
            using var call = snapshot
                ? client.GetSnapshot(new GetSnapshotRequest { OriginId = origin.Id.ToString(), AfterSeq = since, MaxEntries = PageSize },
                    clients.Headers(self, peerId), clients.Deadline().AddMinutes(10), t)
                : client.GetChanges(new GetChangesRequest { OriginId = origin.Id.ToString(), SinceSeq = since, MaxEntries = PageSize },
                    clients.Headers(self, peerId), clients.Deadline().AddMinutes(10), t);
            // Reading, verifying and parsing the next batch overlaps with applying this one (the two halves of a copy's
            // time). One batch waits at most: memory stays bounded by two batches plus the unverified run.
            var ready = Channel.CreateBounded<PreparedEntries>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(t);
            var reader = ReadAsync(call.ResponseStream, verifier, ready.Writer, stop.Token);
            try
            {
                // One connection for the stream's batches (each still its own transaction with the cursor).
                await using var connection = await db.OpenConnectionAsync(t);
                await foreach (var batch in ready.Reader.ReadAllAsync(t))
                {
                    var r = await applier.ApplyAsync(peerId, origin.Id, batch, peerMax, t, connection);
                    applied += r.Applied;
                    rejected += r.Rejected;
                }
            }
            catch
            {
                await stop.CancelAsync();
                await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
            await reader;
        }, ct);
        return (applied, rejected + refused, error, resync);

        // Verified entries in batches; a refused entry ends the stream (what was verified before it is still applied).
        async Task ReadAsync(IAsyncStreamReader<ChangeEntry> stream, ChainVerifier verifier, ChannelWriter<PreparedEntries> output, CancellationToken t)
        {
            var batch = new List<ChangeLogEntry>(Math.Min(batchSize, 4096));
            try
            {
                try
                {
                    await foreach (var wire in stream.ReadAllAsync(t))
                    {
                        var (reject, released) = verifier.Offer(wire);
                        if (reject is { } why)
                        {
                            refused++;
                            error = $"rejected entry {wire.OriginId}/{wire.Seq} from this peer: {why}";
                            logger.LogWarning("Peer {Peer}: refused entry {Origin}/{Seq}: {Reason}", peerId, wire.OriginId, wire.Seq, why);
                            break;
                        }
                        batch.AddRange(released);
                        if (batch.Count >= batchSize)
                        {
                            await output.WriteAsync(ChangeApplier.Prepare(batch), t);
                            batch = new List<ChangeLogEntry>(Math.Min(batchSize, 4096));
                        }
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail == "RESYNC_REQUIRED")
                {
                    // What was verified before the answer is kept (it is applied); the rest comes from a snapshot.
                    resync = true;
                }
                if (batch.Count > 0)
                {
                    await output.WriteAsync(ChangeApplier.Prepare(batch), t);
                }
                output.Complete();
            }
            catch (Exception e)
            {
                output.Complete(e);
            }
        }
    }

    private async Task<(long Seq, byte[]? Hash)> PositionAsync(Guid origin, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT i.last_seq, (SELECT entry_hash FROM change_log c WHERE c.origin_instance_id = i.id AND c.seq = i.last_seq)
            FROM instances i WHERE i.id = @o
            """);
        cmd.Parameters.AddWithValue("o", origin);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.GetInt64(0), r.IsDBNull(1) ? null : (byte[])r[1]);
    }

    private async Task TouchCursorAsync(Guid peer, Guid origin, long seq, long peerMax, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = db.CreateCommand("""
            INSERT INTO peer_cursors (peer_id, origin_id, seq, peer_max_seq, caught_up_at, updated_at) VALUES (@peer, @o, @seq, @pmax, @now, @now)
            ON CONFLICT (peer_id, origin_id) DO UPDATE SET seq = excluded.seq, peer_max_seq = excluded.peer_max_seq,
                caught_up_at = excluded.caught_up_at, updated_at = excluded.updated_at
            """);
        cmd.Parameters.AddWithValue("peer", peer);
        cmd.Parameters.AddWithValue("o", origin);
        cmd.Parameters.AddWithValue("seq", seq);
        cmd.Parameters.AddWithValue("pmax", peerMax);
        cmd.Parameters.AddWithValue("now", now);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task RecordStatusAsync(Guid peer, int rejected, string? error, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE instances SET last_sync_at = @now, last_error = @error, rejected_entries = rejected_entries + @rejected WHERE id = @id
            """);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.Add(new NpgsqlParameter("error", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = error is null ? DBNull.Value : error.Length > 2000 ? error[..2000] : error });
        cmd.Parameters.AddWithValue("rejected", (long)rejected);
        cmd.Parameters.AddWithValue("id", peer);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
