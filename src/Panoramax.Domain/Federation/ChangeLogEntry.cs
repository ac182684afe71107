namespace Panoramax.Domain.Federation;

/// <summary>
/// One append-only entry of an origin's change log. (origin, seq) is unique and gap-free per origin;
/// the federation feed, the meta-catalogue harvest and RSS read it. A tombstone says "this public record
/// is gone (deleted or no longer public)" and must never be undone by an older upsert.
/// </summary>
public sealed class ChangeLogEntry
{
    public Guid OriginInstanceId { get; set; }
    public long Seq { get; set; }
    public EntityKind EntityKind { get; set; }
    public Guid EntityId { get; set; }
    public ChangeOp Op { get; set; }
    /// <summary>Version of the entity this entry describes.</summary>
    public long EntityVersion { get; set; }
    /// <summary>Public metadata of the entity (STAC JSON) for upserts; null for tombstones.</summary>
    public string? Payload { get; set; }
    /// <summary>SHA-256 of the canonical payload bytes.</summary>
    public byte[]? PayloadHash { get; set; }
    /// <summary>Hash of the previous entry of the same origin (hash chain), null for seq 1.</summary>
    public byte[]? PrevHash { get; set; }
    /// <summary>Origin's Ed25519 signature, when the entry is signed individually or is a checkpoint.</summary>
    public byte[]? Signature { get; set; }
    /// <summary>SHA-256 of the entry's canonical bytes (federation-spec.md §3); the next entry's <see cref="PrevHash"/>.</summary>
    public byte[]? EntryHash { get; set; }
    /// <summary>
    /// When the entry got its payload, hashes and (for checkpoints) signature. Writers only append (an outbox);
    /// the sealer fills the rest later, and only sealed entries are served to peers. Replicated entries arrive sealed.
    /// </summary>
    public DateTimeOffset? SealedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public enum EntityKind
{
    Sequence,
    Picture,
    Account,
}

public enum ChangeOp
{
    Upsert,
    Tombstone,
}
