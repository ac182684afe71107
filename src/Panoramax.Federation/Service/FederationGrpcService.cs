using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Peers;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Search;
using Panoramax.Federation.Signing;
using Panoramax.Federation.Sync;

namespace Panoramax.Federation.Service;

/// <summary>The federation endpoint (spec §5): identity exchange, the signed feed, snapshots, pokes, live search. Every call is authenticated by its token (§4).</summary>
public sealed class FederationGrpcService(
    PeerDirectory peers,
    FeedReader feed,
    FeedSignal signal,
    InstanceKeyStore key,
    IFederationHost host,
    PeerSyncScheduler scheduler,
    FederatedSearch search,
    ILocalSearch local,
    Npgsql.NpgsqlDataSource db,
    TimeProvider clock,
    IOptions<FederationOptions> options,
    ILogger<FederationGrpcService> logger) : Protocol.V1.Federation.FederationBase
{
    public const uint ProtocolVersion = 1;
    public static readonly string[] Capabilities = ["changes.v1", "follow", "poke", "search.v1", "snapshot.v1", Reconcile.Reconciler.Capability];
    private const int DefaultMaxEntries = 5000;
    /// <summary>Ranges per GetDigests call (spec §7.1).</summary>
    public const int MaxDigestRanges = 64;
    private const int ReadChunk = 500;
    /// <summary>The most entries one GetChanges or GetSnapshot call serves, whatever the caller asks.</summary>
    public const int MaxEntriesCap = 100_000;
    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);
    private static readonly WriteOptions FlushedWrite = new();

    public static InstanceInfo SelfInfo(Instance self, InstanceKeyStore key, IFederationHost host)
    {
        var info = new InstanceInfo
        {
            InstanceId = self.Id.ToString(),
            Name = self.Name,
            PublicKey = Google.Protobuf.ByteString.CopyFrom(key.PublicKey),
            ProtocolVersion = ProtocolVersion,
            BaseUrl = host.PublicBaseUrl,
            FederationUrl = host.FederationUrl,
        };
        info.Capabilities.AddRange(Capabilities);
        return info;
    }

    public override async Task<HelloResponse> Hello(HelloRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var self = await peers.SelfAsync(ct);
        var token = CallToken.Parse(context.RequestHeaders.GetValue(CallToken.MetadataKey))
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or malformed x-panoramax-token"));
        if (request.Caller is null || request.Caller.InstanceId != token.Caller.ToString())
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "caller does not match the token"));
        }
        var known = await peers.FindAsync(token.Caller, ct);
        if (known is { Trust: PeerTrust.Blocked })
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "blocked"));
        }
        // A first contact proves it holds the key it presents; a known caller must use the pinned one.
        var keyToCheck = known?.PublicKey ?? request.Caller.PublicKey.ToByteArray();
        if (!token.IsValid(keyToCheck, self.Id, clock.GetUtcNow(), allowNilAudience: true))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid token"));
        }
        try
        {
            await peers.RecordPeerAsync(request.Caller, ct, known is null ? options.Value.MaxPendingPeers : null);
        }
        catch (PendingPeersFullException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (PeerKeyMismatchException)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "public key differs from the pinned one"));
        }
        catch (ArgumentException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        var response = new HelloResponse { Instance = SelfInfo(self, key, host) };
        response.Origins.AddRange(await feed.OriginsAsync(ct));
        return response;
    }

    public override async Task GetChanges(GetChangesRequest request, IServerStreamWriter<ChangeEntry> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        await AuthenticateTrustedAsync(context);
        if (!Guid.TryParse(request.OriginId, out var origin) || request.SinceSeq < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "origin_id must be a UUID and since_seq ≥ 0"));
        }
        var state = await OriginStateAsync(origin, ct);
        if (state.MinSeq > 1 && request.SinceSeq < state.MinSeq - 1)
        {
            throw ResyncRequired();
        }
        var max = request.Follow ? long.MaxValue : request.MaxEntries == 0 ? DefaultMaxEntries : Math.Min(request.MaxEntries, MaxEntriesCap);
        var since = request.SinceSeq;
        long sent = 0;
        // Take the signal before reading so an entry sealed in between is never missed.
        var signalled = signal.NextAsync();
        var reading = feed.ReadAsync(origin, since, (int)Math.Min(ReadChunk, max), ct);
        try
        {
            while (!ct.IsCancellationRequested && sent < max)
            {
                var chunk = await reading;
                if (chunk.Count > 0)
                {
                    sent += chunk.Count;
                    since = chunk[^1].Seq;
                    if (sent >= max)
                    {
                        await SendAsync(responseStream, chunk, allowPruned: false, ct);
                        break;
                    }
                    // The next chunk is read while this one is sent.
                    signalled = signal.NextAsync();
                    reading = feed.ReadAsync(origin, since, (int)Math.Min(ReadChunk, max - sent), ct);
                    await SendAsync(responseStream, chunk, allowPruned: false, ct);
                    continue;
                }
                if (!request.Follow)
                {
                    break;
                }
                await signalled.WaitAsync(TimeSpan.FromSeconds(5), clock, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                signalled = signal.NextAsync();
                reading = feed.ReadAsync(origin, since, (int)Math.Min(ReadChunk, max - sent), ct);
            }
        }
        finally
        {
            // A read started ahead is never left unobserved (the stream may end on a pruned entry or a cancelled call).
            await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Sends one chunk, flushing once at its end instead of after every entry. With <paramref name="allowPruned"/> false a
    /// pruned upsert ends the stream with RESYNC_REQUIRED: a sweep went past this stream's position while it was open,
    /// and the rest is a snapshot's business.
    /// </summary>
    private static async Task SendAsync(IServerStreamWriter<ChangeEntry> stream, List<ChangeEntry> chunk, bool allowPruned, CancellationToken ct)
    {
        var end = allowPruned ? chunk.Count : chunk.FindIndex(FeedReader.IsPruned) is var first and >= 0 ? first : chunk.Count;
        for (var i = 0; i < end; i++)
        {
            stream.WriteOptions = i == end - 1 ? FlushedWrite : BufferedWrite;
            await stream.WriteAsync(chunk[i], ct);
        }
        if (end < chunk.Count)
        {
            throw ResyncRequired();
        }
    }

    public override async Task GetSnapshot(GetSnapshotRequest request, IServerStreamWriter<ChangeEntry> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        await AuthenticateTrustedAsync(context);
        if (!Guid.TryParse(request.OriginId, out var origin) || request.AfterSeq < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "origin_id must be a UUID and after_seq ≥ 0"));
        }
        await OriginStateAsync(origin, ct);
        // Every sealed entry in seq order, pruned ones as the headers they are (spec §7): the receiver verifies the chain.
        var max = request.MaxEntries == 0 ? DefaultMaxEntries : Math.Min(request.MaxEntries, MaxEntriesCap);
        var after = request.AfterSeq;
        long sent = 0;
        var reading = feed.ReadAsync(origin, after, (int)Math.Min(ReadChunk, max), ct);
        try
        {
            while (!ct.IsCancellationRequested && sent < max)
            {
                var chunk = await reading;
                if (chunk.Count == 0)
                {
                    break;
                }
                sent += chunk.Count;
                after = chunk[^1].Seq;
                if (sent < max)
                {
                    reading = feed.ReadAsync(origin, after, (int)Math.Min(ReadChunk, max - sent), ct);
                }
                await SendAsync(responseStream, chunk, allowPruned: true, ct);
            }
        }
        finally
        {
            await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public override async Task<PokeResponse> Poke(PokeRequest request, ServerCallContext context)
    {
        var caller = await AuthenticateTrustedAsync(context);
        logger.LogDebug("Poked by {Peer}", caller.Name);
        await scheduler.TriggerAsync(caller.Id, context.CancellationToken);
        return new PokeResponse();
    }

    public override async Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var caller = await AuthenticateTrustedAsync(context);
        var (query, problem) = FederatedSearch.FromRequest(request);
        if (query is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem!));
        }
        var started = clock.GetTimestamp();
        var firstSight = search.FirstSight(request.RequestId);
        var hits = await local.SearchAsync(query, ct);
        var response = new SearchResponse();
        response.Items.AddRange(hits.Select(h => Google.Protobuf.ByteString.CopyFrom(h.Json)));
        // Further hops only for a request not seen yet, with time left for our own answer to travel back. A caller gets
        // no more time or hops than this instance gives its own searches (SearchDeadline, MaxHops).
        var given = request.DeadlineMs == 0 ? search.Deadline : TimeSpan.FromMilliseconds(Math.Min(request.DeadlineMs, search.Deadline.TotalMilliseconds));
        var left = given - clock.GetElapsedTime(started) - TimeSpan.FromMilliseconds(100);
        var hops = Math.Min(request.HopsLeft, (uint)options.Value.MaxHops);
        if (hops > 1 && firstSight && left > TimeSpan.Zero && hits.Count < query.Limit)
        {
            var more = await search.AskPeersAsync(query, request.RequestId, hops - 1, left, caller.Id, ct);
            var ids = hits.Select(h => h.Id).ToHashSet();
            response.Items.AddRange(more.Hits.Where(h => ids.Add(h.Id)).Take(query.Limit - hits.Count)
                .Select(h => Google.Protobuf.ByteString.CopyFrom(h.Json)));
            response.Peers.AddRange(more.Peers);
            response.Partial = more.Partial;
        }
        return response;
    }

    public override async Task<GetDigestsResponse> GetDigests(GetDigestsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        await AuthenticateTrustedAsync(context);
        if (!Guid.TryParse(request.OriginId, out var origin) || request.HorizonSeq < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "origin_id must be a UUID and horizon_seq ≥ 0"));
        }
        if (request.Ranges.Count is 0 or > MaxDigestRanges)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"give 1 to {MaxDigestRanges} ranges"));
        }
        if (request.Ranges.Any(r => r.FromSeq < 1 || r.ToSeq < r.FromSeq))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "every range needs 1 ≤ from_seq ≤ to_seq"));
        }
        var state = (await feed.OriginsAsync(ct)).FirstOrDefault(o => o.OriginId == origin.ToString())
            ?? throw new RpcException(new Status(StatusCode.NotFound, "unknown origin"));
        var horizon = request.HorizonSeq == 0 ? state.MaxSeq : Math.Min(request.HorizonSeq, state.MaxSeq);
        var ranges = request.Ranges.Select(r => new Reconcile.SeqSpan(r.FromSeq, r.ToSeq)).ToList();
        await using var conn = await db.OpenConnectionAsync(ct);
        var digests = await Reconcile.DigestQueries.LogDigestsAsync(conn, null, origin, ranges, horizon, ct);
        var response = new GetDigestsResponse();
        response.Digests.AddRange(digests.Select(d => new RangeDigest
        {
            Range = new SeqRange { FromSeq = d.From, ToSeq = d.To },
            Count = d.Count,
            Digest = Google.Protobuf.ByteString.CopyFrom(d.Hash),
        }));
        return response;
    }

    private async Task<OriginState> OriginStateAsync(Guid origin, CancellationToken ct) =>
        (await feed.OriginsAsync(ct)).FirstOrDefault(o => o.OriginId == origin.ToString())
            ?? throw new RpcException(new Status(StatusCode.NotFound, "unknown origin"));

    /// <summary>The receiver is behind this instance's retention floor for that origin (spec §6, §7).</summary>
    private static RpcException ResyncRequired() => new(new Status(StatusCode.FailedPrecondition, "RESYNC_REQUIRED"));

    private async Task<Instance> AuthenticateTrustedAsync(ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var token = CallToken.Parse(context.RequestHeaders.GetValue(CallToken.MetadataKey))
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or malformed x-panoramax-token"));
        var caller = await peers.FindAsync(token.Caller, ct);
        if (caller is not { IsPeer: true, Trust: PeerTrust.Trusted, PublicKey: { } pinned })
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "unknown, pending or blocked caller"));
        }
        var self = await peers.SelfAsync(ct);
        if (!token.IsValid(pinned, self.Id, clock.GetUtcNow()))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid token"));
        }
        return caller;
    }
}
