using Panoramax.Domain.Abstractions;

namespace Panoramax.Domain.Reports;

/// <summary>A problem reported on a picture or sequence (missing blur, privacy, copyright…), handled by moderators or the owner.</summary>
public sealed class Report
{
    public Guid Id { get; set; }
    public ReportIssue Issue { get; set; }
    public ReportStatus Status { get; set; } = ReportStatus.Open;
    public Guid? PictureId { get; set; }
    public Guid? SequenceId { get; set; }
    public Guid? ReporterAccountId { get; set; }
    public string? ReporterEmail { get; set; }
    public string? ReporterComments { get; set; }
    public Guid? ResolverAccountId { get; set; }
    public string? ResolverComments { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

[SnakeCaseApiNames]
public enum ReportIssue
{
    BlurMissing,
    BlurExcess,
    Inappropriate,
    Privacy,
    PictureLowQuality,
    Mislocated,
    Copyright,
    Other,
}

[SnakeCaseApiNames]
public enum ReportStatus
{
    Open,
    OpenAutofix,
    Waiting,
    ClosedSolved,
    ClosedIgnored,
}
