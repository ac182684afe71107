namespace Panoramax.Domain.Pictures;

/// <summary>
/// A region a person asked to hide on a picture (a face or plate the detectors missed), in pixels of the upright
/// full-resolution picture, x2/y2 exclusive. Kept for good: every later re-blur or re-process of the picture hides
/// these regions again, whatever the detectors find.
/// </summary>
public sealed class PictureBlurRegion
{
    public Guid Id { get; set; }
    public Guid PictureId { get; set; }
    public int X1 { get; set; }
    public int Y1 { get; set; }
    public int X2 { get; set; }
    public int Y2 { get; set; }
    /// <summary>Who asked for it (the owner, or a moderator); null once that account is gone.</summary>
    public Guid? AddedByAccountId { get; set; }
    /// <summary>The report this correction answered, if any.</summary>
    public Guid? ReportId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
