using System.Collections.Concurrent;
using System.Text.Json;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Sync;
using Panoramax.Persistence;

namespace Panoramax.Federation.Search;

/// <summary>
/// Live fan-out of a search to every trusted peer, in parallel, under one deadline (spec §5, <c>Search</c>). A dead or
/// silent peer costs at most the deadline and shows up as <c>unavailable</c> or <c>timeout</c>; it never fails the search.
/// Request ids seen recently are remembered so that a cycle of peers never fans the same search out twice.
/// </summary>
public sealed partial class FederatedSearch(
    IServiceScopeFactory scopes,
    PeerClients clients,
    IOptions<FederationOptions> options,
    TimeProvider clock,
    ILogger<FederatedSearch> logger)
{
    /// <summary>How long a request id is remembered (longer than any sane deadline).</summary>
    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);

    /// <summary>The configured deadline (<c>Panoramax:Federation:SearchDeadline</c>).</summary>
    public TimeSpan Deadline => options.Value.SearchDeadline;

    /// <summary>The highest hops a live search started here may ask for (<c>Panoramax:Federation:MaxHops</c>).</summary>
    public int MaxHops => options.Value.MaxHops;

    /// <summary>True the first time <paramref name="requestId"/> is seen within the memory window.</summary>
    public bool FirstSight(string requestId)
    {
        var now = clock.GetTimestamp();
        if (_seen.Count > 1024)
        {
            foreach (var (id, at) in _seen)
            {
                if (clock.GetElapsedTime(at, now) > RememberFor)
                {
                    _seen.TryRemove(id, out _);
                }
            }
        }
        if (_seen.TryAdd(requestId, now))
        {
            return true;
        }
        // Seen before: still new if the previous sighting is old.
        if (_seen.TryGetValue(requestId, out var previous) && clock.GetElapsedTime(previous, now) > RememberFor)
        {
            _seen[requestId] = now;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Asks every trusted peer (except <paramref name="exclude"/>) for <paramref name="query"/> and merges their items,
    /// without duplicates, in the order of the peers' answers. Never throws for a peer's failure.
    /// </summary>
    /// <param name="query">What to search.</param>
    /// <param name="requestId">The search's id, the same for every hop.</param>
    /// <param name="hops">Hops the request may travel from here (1 = the peers answer from their own data only).</param>
    /// <param name="deadline">Time given to the peers.</param>
    /// <param name="exclude">The instance that asked us, if any (it is not asked back).</param>
    /// <param name="ct">Cancelled when the caller goes away.</param>
    public async Task<FanOutResult> AskPeersAsync(LiveSearchQuery query, string requestId, uint hops, TimeSpan deadline, Guid? exclude, CancellationToken ct)
    {
        FirstSight(requestId);
        List<(Guid Id, string Url)> peers;
        Guid self;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>();
            self = await db.Instances.Where(i => i.IsSelf).Select(i => i.Id).SingleAsync(ct);
            peers = [.. (await db.Instances
                .Where(i => i.IsPeer && !i.IsSelf && i.Trust == PeerTrust.Trusted && i.FederationUrl != null && i.PublicKey != null)
                .OrderBy(i => i.Name).ThenBy(i => i.Id)
                .Select(i => new { i.Id, i.FederationUrl })
                .ToListAsync(ct))
                .Where(p => p.Id != exclude)
                .Select(p => (p.Id, p.FederationUrl!))];
        }
        if (peers.Count == 0)
        {
            return new FanOutResult([], [], false, new HashSet<string>());
        }
        var request = ToRequest(query, requestId, hops, deadline);
        var answers = await Task.WhenAll(peers.Select(p => AskAsync(self, p.Id, p.Url, request, deadline, ct)));

        var hits = new List<SearchHit>();
        var ids = new HashSet<Guid>();
        var partial = false;
        foreach (var (status, response) in answers)
        {
            partial |= status.Status != PeerSearchState.Ok;
            if (response is null)
            {
                continue;
            }
            partial |= response.Partial;
            foreach (var item in response.Items)
            {
                if (hits.Count < query.Limit && ItemId(item.Memory) is { } id && ids.Add(id))
                {
                    hits.Add(new SearchHit(id, item.ToByteArray()));
                }
            }
        }
        var (statuses, relayed) = Statuses(answers, self);
        return new FanOutResult(hits, statuses, partial, relayed);
    }

    /// <summary>
    /// One status per instance reached, direct peers first, then those the peers asked in turn (the relayed ones). Over
    /// several paths (a cycle, two peers sharing a peer) an instance is listed once, as "ok" when any path reached it;
    /// this instance itself (reached back through a cycle) is left out.
    /// </summary>
    private static (List<PeerSearchStatus> Statuses, HashSet<string> Relayed) Statuses(
        (PeerSearchStatus Status, SearchResponse? Response)[] answers, Guid self)
    {
        var byId = new Dictionary<string, PeerSearchStatus>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        var relayed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Add(PeerSearchStatus s, bool direct)
        {
            if (Guid.TryParse(s.InstanceId, out var id) && id == self)
            {
                return;
            }
            if (!byId.TryGetValue(s.InstanceId, out var known))
            {
                byId[s.InstanceId] = s;
                order.Add(s.InstanceId);
                if (!direct)
                {
                    relayed.Add(s.InstanceId);
                }
            }
            else if (known.Status != PeerSearchState.Ok && s.Status == PeerSearchState.Ok)
            {
                byId[s.InstanceId] = s;
            }
        }
        foreach (var (status, _) in answers)
        {
            Add(status, direct: true);
        }
        foreach (var (_, response) in answers)
        {
            foreach (var s in response?.Peers ?? [])
            {
                Add(s, direct: false);
            }
        }
        return ([.. order.Select(id => byId[id])], relayed);
    }

    private async Task<(PeerSearchStatus Status, SearchResponse? Response)> AskAsync(
        Guid self, Guid peer, string url, SearchRequest request, TimeSpan deadline, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        using var timeout = new CancellationTokenSource(deadline, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        PeerSearchStatus Status(PeerSearchState state) => new()
        {
            InstanceId = peer.ToString(),
            Status = state,
            ElapsedMs = (uint)Math.Min(uint.MaxValue, clock.GetElapsedTime(started).TotalMilliseconds),
        };
        try
        {
            using var call = clients.Client(url).SearchAsync(request, clients.Headers(self, peer), clock.GetUtcNow().Add(deadline).UtcDateTime, linked.Token);
            var response = await call.ResponseAsync.WaitAsync(linked.Token);
            return (Status(PeerSearchState.Ok), response);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            var state = e is RpcException { StatusCode: StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.InvalidArgument or StatusCode.Unimplemented } r
                ? PeerSearchState.Refused
                : timeout.IsCancellationRequested || e is RpcException { StatusCode: StatusCode.DeadlineExceeded }
                    ? PeerSearchState.Timeout
                    : PeerSearchState.Unavailable;
            LogPeerFailed(logger, peer, state, e.Message);
            return (Status(state), null);
        }
    }

    private static SearchRequest ToRequest(LiveSearchQuery query, string requestId, uint hops, TimeSpan deadline)
    {
        var request = new SearchRequest
        {
            RequestId = requestId,
            HopsLeft = Math.Max(1, hops),
            Limit = (uint)query.Limit,
            DeadlineMs = (uint)Math.Max(1, deadline.TotalMilliseconds),
        };
        if (query.Bbox is { } bbox)
        {
            request.Bbox.AddRange(bbox);
        }
        if (query.Ids is { } ids)
        {
            request.Ids.AddRange(ids.Select(i => i.ToString()));
        }
        if (query.CapturedFrom is { } from)
        {
            request.CapturedFromUs = Microseconds(from);
        }
        if (query.CapturedTo is { } to)
        {
            request.CapturedToUs = Microseconds(to);
        }
        return request;
    }

    /// <summary>Reads and checks a <see cref="SearchRequest"/>; null and a reason when it is not acceptable.</summary>
    public static (LiveSearchQuery? Query, string? Problem) FromRequest(SearchRequest request)
    {
        if (!Guid.TryParse(request.RequestId, out _))
        {
            return (null, "request_id must be a UUID");
        }
        if (request.Bbox.Count is not (0 or 4) || request.Bbox.Any(v => !double.IsFinite(v))
            || (request.Bbox.Count == 4 && (request.Bbox[0] > request.Bbox[2] || request.Bbox[1] > request.Bbox[3])))
        {
            return (null, "bbox must hold 0 or 4 finite values: min lon, min lat, max lon, max lat");
        }
        var ids = new List<Guid>();
        foreach (var text in request.Ids)
        {
            if (!Guid.TryParse(text, out var id))
            {
                return (null, $"ids must be UUIDs, got '{text}'");
            }
            ids.Add(id);
        }
        if (request.Limit > 10_000)
        {
            return (null, "limit must be between 1 and 10000");
        }
        return (new LiveSearchQuery(
            request.Bbox.Count == 4 ? [.. request.Bbox] : null,
            ids.Count > 0 ? ids : null,
            request.HasCapturedFromUs ? FromMicroseconds(request.CapturedFromUs) : null,
            request.HasCapturedToUs ? FromMicroseconds(request.CapturedToUs) : null,
            request.Limit == 0 ? 10 : (int)request.Limit), null);
    }

    private static long Microseconds(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static DateTimeOffset FromMicroseconds(long us) =>
        DateTimeOffset.UnixEpoch.AddTicks(Math.Clamp(us, -62_135_596_800_000_000L, 253_402_300_799_000_000L) * 10);

    /// <summary>
    /// The "id" of a STAC Item, or null when the bytes are not exactly one JSON object with an id (such items are
    /// dropped): they are written into our answer as they are, so trailing content would break or extend it.
    /// </summary>
    private static Guid? ItemId(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id)
                && id.ValueKind == JsonValueKind.String && Guid.TryParse(id.GetString(), out var g) ? g : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Live search: peer {Peer} {State}: {Reason}")]
    private static partial void LogPeerFailed(ILogger logger, Guid peer, PeerSearchState state, string reason);
}

/// <summary>What the peers answered: their items (no duplicates), one status per instance reached, and whether any failed.</summary>
/// <param name="Hits">Items in the peers' order, at most the query's limit.</param>
/// <param name="Peers">Status of every peer asked and of the peers they asked in turn, one per instance.</param>
/// <param name="Partial">True when some peer failed or timed out.</param>
/// <param name="Relayed">Instance ids of <paramref name="Peers"/> that were not asked directly but by a peer (hops &gt; 1).</param>
public sealed record FanOutResult(IReadOnlyList<SearchHit> Hits, IReadOnlyList<PeerSearchStatus> Peers, bool Partial, IReadOnlySet<string> Relayed);
