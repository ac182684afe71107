using Panoramax.Domain.Federation;

namespace Panoramax.Federation;

/// <summary>
/// Renders the public metadata of a local record for the feed (STAC Item/Collection with absolute hrefs), from its
/// current state. Implemented by the host, which owns the STAC JSON.
/// </summary>
public interface IPayloadRenderer
{
    Task<RenderedPayload> RenderAsync(EntityKind kind, Guid id, CancellationToken ct);

    /// <summary>
    /// Renders many records at once (the sealer's batches), in the order asked; each result is exactly what
    /// <see cref="RenderAsync"/> gives for that record. The default renders them one by one.
    /// </summary>
    async Task<IReadOnlyList<RenderedPayload>> RenderManyAsync(IReadOnlyList<RenderRequest> records, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = new List<RenderedPayload>(records.Count);
        foreach (var r in records)
        {
            list.Add(await RenderAsync(r.Kind, r.Id, ct));
        }
        return list;
    }
}

/// <summary>A record to render: its kind and global id.</summary>
/// <param name="Kind">Picture, sequence or account.</param>
/// <param name="Id">The record's global id.</param>
public readonly record struct RenderRequest(EntityKind Kind, Guid Id);

/// <summary>
/// A record's public JSON, or null when it is not public (any more: hidden, deleted, not ready) so the entry becomes a
/// tombstone; and the record's current version (0 when it no longer exists), which tombstones carry too.
/// </summary>
public sealed record RenderedPayload(string? Json, long Version);

/// <summary>
/// Answers a live federated search from this instance's database (own and replicated records) as an anonymous caller
/// would see them: only public, ready pictures. Implemented by the host, which owns the STAC JSON.
/// </summary>
public interface ILocalSearch
{
    Task<IReadOnlyList<SearchHit>> SearchAsync(LiveSearchQuery query, CancellationToken ct);
}

/// <summary>What a live search may filter on (the part of <c>/api/search</c> that travels to peers).</summary>
/// <param name="Bbox">min lon, min lat, max lon, max lat, or null.</param>
/// <param name="Ids">Picture ids, or null for any.</param>
/// <param name="CapturedFrom">Inclusive lower bound of the capture time.</param>
/// <param name="CapturedTo">Inclusive upper bound of the capture time.</param>
/// <param name="Limit">Maximum number of items.</param>
public sealed record LiveSearchQuery(double[]? Bbox, IReadOnlyList<Guid>? Ids, DateTimeOffset? CapturedFrom, DateTimeOffset? CapturedTo, int Limit);

/// <summary>One STAC Item of a live search: its id (for de-duplication) and its UTF-8 JSON.</summary>
/// <param name="Id">The picture's global id.</param>
/// <param name="Json">The STAC Item document.</param>
public sealed record SearchHit(Guid Id, byte[] Json);

/// <summary>
/// Told when an apply (a peer's feed, a snapshot copy or repair, a legacy harvest) has committed changes to replicated
/// records, so the host drops what it derived from them (cached map tiles, the catalogue extent) and brings its map
/// aggregates up to date: a picture hidden on its origin must not stay on this instance's map. Called after the commit,
/// on the applying thread: keep it short.
/// </summary>
public interface IReplicaChangeListener
{
    void OnReplicaChanged();
}

/// <summary>Addresses of this instance as peers must see them, known to the host once it listens.</summary>
public interface IFederationHost
{
    /// <summary>Public HTTP base URL (API and files).</summary>
    string PublicBaseUrl { get; }
    /// <summary>Federation (gRPC) URL peers call.</summary>
    string FederationUrl { get; }
}

/// <summary>
/// Wakes whoever waits for new feed entries (follow streams, the poker) when entries were sealed or applied.
/// A pulse is never lost for a waiter that took the task before it.
/// </summary>
public sealed class FeedSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task NextAsync() => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
