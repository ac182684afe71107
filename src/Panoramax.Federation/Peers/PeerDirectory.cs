using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Persistence;

namespace Panoramax.Federation.Peers;

/// <summary>
/// Who we know and how much we trust them: pins keys on first contact, applies the configured trusted keys,
/// and refuses a known id that shows up with another key (spec §2).
/// </summary>
public sealed class PeerDirectory(PanoramaxDbContext db, IOptions<FederationOptions> options, TimeProvider clock)
{
    public Task<Instance> SelfAsync(CancellationToken ct) => db.Instances.SingleAsync(i => i.IsSelf, ct);

    public Task<Instance?> FindAsync(Guid id, CancellationToken ct) => db.Instances.SingleOrDefaultAsync(i => i.Id == id, ct);

    public bool IsConfiguredTrusted(ReadOnlySpan<byte> publicKey)
    {
        foreach (var text in options.Value.TrustedKeys)
        {
            if (TryParseKey(text) is { } k && k.AsSpan().SequenceEqual(publicKey))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Records a direct peer from its <see cref="InstanceInfo"/> (ours from its Hello answer, or a caller's Hello).
    /// New peers are pending unless their key is configured as trusted. Throws <see cref="PeerKeyMismatchException"/>
    /// when the id is known with another key, <see cref="ArgumentException"/> for a malformed id, key, name or URL, and
    /// <see cref="PendingPeersFullException"/> when a new pending peer would pass <paramref name="pendingLimit"/>.
    /// </summary>
    public async Task<Instance> RecordPeerAsync(InstanceInfo info, CancellationToken ct, int? pendingLimit = null)
    {
        if (!Guid.TryParse(info.InstanceId, out var id) || info.PublicKey.Length != 32)
        {
            throw new ArgumentException("The peer's instance id or public key is malformed.");
        }
        var name = PeerText.Text(info.Name, 200, "name");
        var federationUrl = PeerText.Url(info.FederationUrl, "federation URL");
        var baseUrl = PeerText.Url(info.BaseUrl, "base URL");
        var key = info.PublicKey.ToByteArray();
        var now = clock.GetUtcNow();
        // Two first Hellos of one caller (or two callers claiming one base URL) at the same moment would both pass the checks.
        await using var tx = await SerializedTransaction.BeginAsync(db, RegistryLock, ct);
        var peer = await FindAsync(id, ct);
        if (peer is { IsSelf: true })
        {
            throw new ArgumentException("That is this instance itself.");
        }
        if (peer is null)
        {
            var trust = IsConfiguredTrusted(key) ? PeerTrust.Trusted : PeerTrust.Pending;
            if (trust == PeerTrust.Pending && pendingLimit is { } limit
                && await db.Instances.CountAsync(i => i.IsPeer && !i.IsSelf && i.Trust == PeerTrust.Pending, ct) >= limit)
            {
                throw new PendingPeersFullException(limit);
            }
            peer = new Instance { Id = id, Name = name ?? id.ToString(), PublicKey = key, Trust = trust, CreatedAt = now };
            db.Instances.Add(peer);
        }
        else if (peer.PublicKey is { } pinned && !pinned.AsSpan().SequenceEqual(key))
        {
            throw new PeerKeyMismatchException(id);
        }
        peer.PublicKey = key;
        peer.IsPeer = true;
        peer.Name = name ?? peer.Name;
        peer.FederationUrl = federationUrl ?? peer.FederationUrl;
        // base_url is unique: an old row (a re-created instance) keeps it until removed.
        if (baseUrl is not null && !await db.Instances.AnyAsync(i => i.BaseUrl == baseUrl && i.Id != id, ct))
        {
            peer.BaseUrl = baseUrl;
        }
        peer.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return peer;
    }

    /// <summary>
    /// An origin learned from a trusted peer's Hello: pinned the first time, refused if its key changes. What the relay
    /// says about it is kept only where it is clean (a name with control characters gives way to the id, a URL that is
    /// not http(s) is left out): the origin itself is not the one talking.
    /// </summary>
    public async Task<Instance?> RecordOriginAsync(OriginState origin, CancellationToken ct)
    {
        if (!Guid.TryParse(origin.OriginId, out var id) || origin.PublicKey.Length != 32)
        {
            return null;
        }
        var key = origin.PublicKey.ToByteArray();
        var known = await FindAsync(id, ct);
        if (known is not null)
        {
            return known.PublicKey is { } pinned && pinned.AsSpan().SequenceEqual(key) ? known : null;
        }
        var name = PeerText.OrNull(() => PeerText.Text(origin.Name, 200, "name"));
        var baseUrl = PeerText.OrNull(() => PeerText.Url(origin.BaseUrl, "base URL"));
        await using var tx = await SerializedTransaction.BeginAsync(db, RegistryLock, ct);
        known = await FindAsync(id, ct);
        if (known is not null)
        {
            return known.PublicKey is { } pinned && pinned.AsSpan().SequenceEqual(key) ? known : null;
        }
        var now = clock.GetUtcNow();
        if (baseUrl is not null && await db.Instances.AnyAsync(i => i.BaseUrl == baseUrl, ct))
        {
            baseUrl = null;
        }
        known = new Instance
        {
            Id = id,
            Name = name ?? id.ToString(),
            PublicKey = key,
            BaseUrl = baseUrl,
            // Vouched for by a trusted peer; an admin can still block it.
            Trust = PeerTrust.Trusted,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Instances.Add(known);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return known;
    }

    /// <summary>Every new row of the instance registry is made under this lock (see <see cref="SerializedTransaction"/>).</summary>
    private const string RegistryLock = "panoramax.instance-registry";


    public static byte[]? TryParseKey(string text)
    {
        var t = text.Trim();
        try
        {
            var b = t.Length == 64 ? Convert.FromHexString(t) : Convert.FromBase64String(t);
            return b.Length == 32 ? b : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>A known instance id presented another public key: refused until an admin removes and re-adds the peer.</summary>
/// <summary>A stranger's Hello while as many pending peers as allowed already wait for an admin.</summary>
public sealed class PendingPeersFullException(int limit)
    : Exception($"{limit} instances already wait for an administrator's confirmation here; ask the administrator to confirm or remove some, then say Hello again.")
{
}

public sealed class PeerKeyMismatchException(Guid id) : Exception($"Instance {id} presented a public key different from the one pinned for it.")
{
    public Guid InstanceId { get; } = id;
}
