using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Service;
using Panoramax.Federation.Reconcile;
using Panoramax.Federation.Signing;
using Panoramax.Federation.Sync;
using Panoramax.Persistence;

namespace Panoramax.Federation.Peers;

/// <summary>A peer as the admin page shows it.</summary>
public sealed record PeerStatus(
    Guid Id, string Name, string? FederationUrl, string? BaseUrl, string Trust, string PublicKey, string KeyFingerprint,
    DateTimeOffset? LastSyncAt, string? LastError, long RejectedEntries, long LagEntries, double LagSeconds,
    IReadOnlyList<OriginCursor> Origins, IReadOnlyList<string>? AcceptedLicenses, ReconcileReport? LastReconcile = null);

/// <summary>
/// Any other instance whose records we may hold: a direct peer, an origin only known through relays, or a harvested
/// legacy source; what the licence filter is set on.
/// </summary>
public sealed record KnownOrigin(Guid Id, string Name, string? BaseUrl, string Kind, string Trust, long LastSeq, IReadOnlyList<string>? AcceptedLicenses);

/// <summary>This instance as its peers see it (what <c>Hello</c> answers), for the admin page: the key to read to other admins.</summary>
public sealed record InstanceIdentity(
    Guid InstanceId, string Name, string Role, string BaseUrl, string FederationUrl, string PublicKey, string KeyFingerprint,
    uint ProtocolVersion, IReadOnlyList<string> Capabilities);

public sealed record OriginCursor(Guid OriginId, long Seq, long PeerMaxSeq);

/// <summary>Thrown when a peer cannot be reached or refuses us while an admin adds it.</summary>
public sealed class PeerUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The admin operations on peers (add by URL, confirm, block, remove, status); the HTTP API is a thin layer over it.</summary>
public sealed class PeerAdmin(
    PanoramaxDbContext db,
    PeerDirectory directory,
    PeerClients clients,
    PeerSyncScheduler scheduler,
    InstanceKeyStore key,
    IFederationHost host,
    ReconcileReportStore reconcileReports,
    TimeProvider clock)
{
    /// <summary>Says Hello to <paramref name="federationUrl"/> and pins the key it answers with. The peer is pending unless configured as trusted.</summary>
    public async Task<PeerStatus> AddAsync(string federationUrl, CancellationToken ct)
    {
        if (!WebText.TryHttpUrl(federationUrl, out var uri))
        {
            throw new ArgumentException("The federation URL must be an absolute http(s) URL, e.g. http://peer.example.org:5001.");
        }
        var self = await directory.SelfAsync(ct);
        HelloResponse hello;
        try
        {
            hello = await clients.Client(uri.ToString().TrimEnd('/')).HelloAsync(
                new HelloRequest { Caller = FederationGrpcService.SelfInfo(self, key, host) },
                clients.Headers(self.Id, Guid.Empty), clients.Deadline(), ct);
        }
        catch (RpcException e)
        {
            throw new PeerUnreachableException($"The peer did not answer Hello: {e.StatusCode} {e.Status.Detail}", e);
        }
        if (hello.Instance is null)
        {
            throw new PeerUnreachableException("The peer answered Hello without saying who it is (no instance): is it a Panoramax federation endpoint?");
        }
        hello.Instance.FederationUrl = string.IsNullOrEmpty(hello.Instance.FederationUrl) ? uri.ToString().TrimEnd('/') : hello.Instance.FederationUrl;
        var peer = await directory.RecordPeerAsync(hello.Instance, ct);
        await scheduler.RefreshAsync(ct);
        return (await ListAsync(ct)).Single(p => p.Id == peer.Id);
    }

    /// <summary>Our own identity, built as <c>Hello</c> builds it.</summary>
    public async Task<InstanceIdentity> IdentityAsync(string role, CancellationToken ct)
    {
        var info = FederationGrpcService.SelfInfo(await directory.SelfAsync(ct), key, host);
        return new InstanceIdentity(
            Guid.Parse(info.InstanceId), info.Name, role, info.BaseUrl, info.FederationUrl,
            Convert.ToHexStringLower(key.PublicKey), InstanceKeyStore.Fingerprint(key.PublicKey),
            info.ProtocolVersion, [.. info.Capabilities]);
    }

    public Task<PeerStatus?> ConfirmAsync(Guid id, CancellationToken ct) => SetTrustAsync(id, PeerTrust.Trusted, ct);

    public Task<PeerStatus?> BlockAsync(Guid id, CancellationToken ct) => SetTrustAsync(id, PeerTrust.Blocked, ct);

    /// <summary>Stops exchanging with the peer and forgets its key; records it already sent stay (they are other origins' public data).</summary>
    public async Task<bool> RemoveAsync(Guid id, CancellationToken ct)
    {
        var peer = await db.Instances.SingleOrDefaultAsync(i => i.Id == id && !i.IsSelf, ct);
        if (peer is null)
        {
            return false;
        }
        await db.PeerCursors.Where(c => c.PeerId == id).ExecuteDeleteAsync(ct);
        // The instance row stays (its records may stay too), so its reconcile reports are not removed by the cascade.
        await db.ReconcileRuns.Where(r => r.PeerId == id).ExecuteDeleteAsync(ct);
        peer.IsPeer = false;
        peer.FederationUrl = null;
        peer.Trust = PeerTrust.Pending;
        peer.LastError = null;
        peer.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        clients.Reset(id);
        await scheduler.RefreshAsync(ct);
        return true;
    }

    private async Task<PeerStatus?> SetTrustAsync(Guid id, PeerTrust trust, CancellationToken ct)
    {
        var peer = await db.Instances.SingleOrDefaultAsync(i => i.Id == id && !i.IsSelf && i.IsPeer, ct);
        if (peer is null)
        {
            return null;
        }
        peer.Trust = trust;
        peer.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        clients.Reset(id);
        await scheduler.RefreshAsync(ct);
        if (trust == PeerTrust.Trusted)
        {
            await scheduler.TriggerAsync(id, ct);
        }
        return (await ListAsync(ct)).Single(p => p.Id == id);
    }

    public async Task<List<PeerStatus>> ListAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var peers = await db.Instances.AsNoTracking().Where(i => i.IsPeer && !i.IsSelf).OrderBy(i => i.Name).ToListAsync(ct);
        var cursors = await db.PeerCursors.AsNoTracking().ToListAsync(ct);
        var reconciles = await reconcileReports.LatestOfEveryPeerAsync(ct);
        return [.. peers.Select(p =>
        {
            var mine = cursors.Where(c => c.PeerId == p.Id).ToList();
            var behind = mine.Where(c => c.PeerMaxSeq > c.Seq).ToList();
            return new PeerStatus(
                p.Id, p.Name, p.FederationUrl, p.BaseUrl, p.Trust.ToString().ToLowerInvariant(),
                p.PublicKey is null ? "" : Convert.ToHexStringLower(p.PublicKey), InstanceKeyStore.Fingerprint(p.PublicKey),
                p.LastSyncAt, p.LastError, p.RejectedEntries,
                behind.Sum(c => c.PeerMaxSeq - c.Seq),
                behind.Count == 0 ? 0 : Math.Round(behind.Max(c => (now - c.CaughtUpAt).TotalSeconds), 1),
                [.. mine.Select(c => new OriginCursor(c.OriginId, c.Seq, c.PeerMaxSeq))],
                p.AcceptedLicenses,
                reconciles.GetValueOrDefault(p.Id));
        })];
    }

    /// <summary>Every instance but ourselves, by name: peers, relayed origins and legacy sources (kind <c>peer</c>, <c>relayed</c>, <c>legacy</c>).</summary>
    public async Task<List<KnownOrigin>> OriginsAsync(CancellationToken ct)
    {
        var legacy = (await db.LegacySources.AsNoTracking().Select(s => s.InstanceId).ToListAsync(ct)).ToHashSet();
        var all = await db.Instances.AsNoTracking().Where(i => !i.IsSelf).OrderBy(i => i.Name).ThenBy(i => i.Id).ToListAsync(ct);
        return [.. all.Select(i => new KnownOrigin(
            i.Id, i.Name, i.BaseUrl, legacy.Contains(i.Id) ? "legacy" : i.IsPeer ? "peer" : "relayed",
            i.Trust.ToString().ToLowerInvariant(), i.LastSeq, i.AcceptedLicenses))];
    }
}
