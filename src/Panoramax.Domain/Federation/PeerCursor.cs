namespace Panoramax.Domain.Federation;

/// <summary>
/// How far this instance has pulled one origin's feed from one peer. Written in the same transaction as the
/// entries it covers, so a crash never skips or double-applies a batch.
/// </summary>
public sealed class PeerCursor
{
    public Guid PeerId { get; set; }
    public Guid OriginId { get; set; }
    /// <summary>Highest seq of the origin applied here (from any peer) when this cursor last moved.</summary>
    public long Seq { get; set; }
    /// <summary>Highest seq of the origin the peer announced in its last Hello.</summary>
    public long PeerMaxSeq { get; set; }
    /// <summary>Last time <see cref="Seq"/> reached <see cref="PeerMaxSeq"/>: the lag in seconds is measured from it.</summary>
    public DateTimeOffset CaughtUpAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
