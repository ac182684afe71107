namespace Panoramax.Domain.Instances;

/// <summary>
/// A Panoramax instance known to this one: itself (exactly one row with <see cref="IsSelf"/>) or a peer.
/// Every federated record carries the id of the instance where it was created (its origin).
/// </summary>
public sealed class Instance
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Public base URL (scheme://host[:port]) where the instance's API and files live.</summary>
    public string? BaseUrl { get; set; }
    /// <summary>Ed25519 public key (32 raw bytes) used to verify this origin's change-log signatures.</summary>
    public byte[]? PublicKey { get; set; }
    public bool IsSelf { get; set; }
    public PeerTrust Trust { get; set; } = PeerTrust.Pending;
    /// <summary>Highest change-log sequence number known for this origin (written by its origin, copied by peers).</summary>
    public long LastSeq { get; set; }
    /// <summary>Federation (gRPC, HTTP/2) endpoint of a peer; null for origins only known through relays.</summary>
    public string? FederationUrl { get; set; }
    /// <summary>True for instances we exchange with directly (added by an admin or who said Hello), false for relayed origins.</summary>
    public bool IsPeer { get; set; }
    public DateTimeOffset? LastSyncAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>Entries received from this peer and refused (bad signature, broken chain, wrong origin…).</summary>
    public long RejectedEntries { get; set; }
    /// <summary>
    /// Licence ids (as in STAC <c>license</c>, compared case-insensitively) of this origin's records shown here; null
    /// shows all. Local policy only: the records are still stored and relayed, just flagged and hidden (see <see cref="AcceptedLicenses"/>).
    /// </summary>
    public List<string>? AcceptedLicenses { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum PeerTrust
{
    /// <summary>Key seen but not yet confirmed by an admin.</summary>
    Pending,
    Trusted,
    Blocked,
}
