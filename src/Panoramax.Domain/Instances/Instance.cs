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
