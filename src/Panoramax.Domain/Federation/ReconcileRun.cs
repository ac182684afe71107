namespace Panoramax.Domain.Federation;

/// <summary>
/// A finished Reconcile with one peer (federation-spec §7.1), kept so that the admin API and page still show it after a
/// restart; the last few per peer are kept, older ones are pruned when a new one is stored.
/// </summary>
public sealed class ReconcileRun
{
    public long Id { get; set; }
    /// <summary>The peer reconciled with (the row goes with the peer).</summary>
    public Guid PeerId { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset FinishedAt { get; set; }
    public int OriginsCompared { get; set; }
    public int RangesCompared { get; set; }
    public int DifferingRanges { get; set; }
    public int DigestCalls { get; set; }
    public long EntriesFetched { get; set; }
    public int RecordsRepaired { get; set; }
    public int DeferredRanges { get; set; }
    public int UnrepairableRanges { get; set; }
    /// <summary>Why the run stopped (peer unreachable, refused entries…); null when it went through.</summary>
    public string? Error { get; set; }
    /// <summary>JSON: the ranges that could not be repaired, with their reasons.</summary>
    public required string Details { get; set; }
}
