namespace Panoramax.Domain.Moderation;

/// <summary>
/// Audit record of a moderator's act (takedown, restore, blur correction): who did what to which picture or sequence and why.
/// Append-only, so a dispute can always be answered from the record, and an active takedown keeps the owner
/// from simply making the picture public again.
/// </summary>
public sealed class ModerationAction
{
    public Guid Id { get; set; }
    public ModerationActionKind Kind { get; set; }
    public Guid ActorAccountId { get; set; }
    public Guid? PictureId { get; set; }
    public Guid? SequenceId { get; set; }
    public Guid? ReportId { get; set; }
    public required string Reason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public enum ModerationActionKind
{
    /// <summary>Hidden by a moderator: only the owner and admins see it, and only an admin can publish it again.</summary>
    Takedown,
    /// <summary>A takedown lifted by a moderator.</summary>
    Restore,
    /// <summary>Regions added to blur on a published picture (answering a report, or by a moderator); not a takedown state.</summary>
    BlurCorrection,
}
