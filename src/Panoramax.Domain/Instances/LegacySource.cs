namespace Panoramax.Domain.Instances;

/// <summary>
/// A legacy GeoVisio instance harvested over its STAC HTTP API (it speaks no federation protocol). Its records are
/// stored as replicated records of a synthetic, unsigned origin <see cref="Instance"/> with the same id, so search,
/// items and tiles serve them like any peer's; they are never relayed to peers (nobody could verify them).
/// </summary>
public sealed class LegacySource
{
    /// <summary>Id of the synthetic origin instance (derived from the URL, so a configuration reload finds it again).</summary>
    public Guid InstanceId { get; set; }
    /// <summary>Root URL of the legacy instance (its API is under <c>/api</c>).</summary>
    public required string Url { get; set; }
    /// <summary>Highest collection <c>updated</c> fully applied; the next harvest asks for <c>updated &gt;= </c> it.</summary>
    public DateTimeOffset? CursorUpdated { get; set; }
    /// <summary>Collections already applied whose <c>updated</c> equals <see cref="CursorUpdated"/> (skipped when seen again).</summary>
    public List<Guid> CursorIds { get; set; } = [];
    public DateTimeOffset? LastRunAt { get; set; }
    /// <summary>End of the last harvest that went through every page without an error.</summary>
    public DateTimeOffset? LastSuccessAt { get; set; }
    /// <summary>Why the last harvest stopped or what it skipped; null when it went through cleanly.</summary>
    public string? LastError { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }
    /// <summary>Collections applied (created, changed or deleted) since the source was added.</summary>
    public long CollectionsApplied { get; set; }
    /// <summary>Picture upserts and tombstones applied since the source was added.</summary>
    public long PicturesApplied { get; set; }
    /// <summary>Collections skipped because the source served them incomplete or malformed.</summary>
    public long CollectionsRejected { get; set; }
    /// <summary>
    /// Time between two harvests of a source an admin added through the API; null for a source of the configuration
    /// (<c>Panoramax:Aggregator:Sources</c>, whose interval is there).
    /// </summary>
    public TimeSpan? Interval { get; set; }
    /// <summary>When an admin removed the source: it is no longer harvested; what was harvested from it stays.</summary>
    public DateTimeOffset? RemovedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
