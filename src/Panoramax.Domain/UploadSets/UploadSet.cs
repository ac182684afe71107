using Panoramax.Domain.Abstractions;

namespace Panoramax.Domain.UploadSets;

/// <summary>A batch of files uploaded together, later dispatched into one or more sequences.</summary>
public sealed class UploadSet
{
    public Guid Id { get; set; }
    public Guid OriginInstanceId { get; set; }
    public Guid AccountId { get; set; }
    public required string Title { get; set; }
    public int? EstimatedFileCount { get; set; }
    public string SortMethod { get; set; } = "time-asc";
    public bool NoSplit { get; set; }
    public int? SplitDistanceM { get; set; }
    public double? SplitTimeSeconds { get; set; }
    public bool NoDeduplication { get; set; }
    public double? DuplicateDistanceM { get; set; }
    public int? DuplicateRotationDeg { get; set; }
    public int? RelativeHeading { get; set; }
    public Visibility.Visibility? Visibility { get; set; }
    /// <summary>Free JSON object given by the client (the CLI stores its configuration there).</summary>
    public string Metadata { get; set; } = "{}";
    public string Semantics { get; set; } = "[]";
    public string? UserAgent { get; set; }
    public bool Completed { get; set; }
    public bool Dispatched { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>A file received in an upload set: accepted (with its picture) or rejected with a reason the uploader can act on.</summary>
public sealed class UploadSetFile
{
    public Guid Id { get; set; }
    public Guid UploadSetId { get; set; }
    public Guid? PictureId { get; set; }
    public required string FileName { get; set; }
    public long Size { get; set; }
    public string? ContentMd5 { get; set; }
    public byte[]? ContentSha256 { get; set; }
    public DateTimeOffset InsertedAt { get; set; }
    public RejectionReason? RejectionReason { get; set; }
    public string? RejectionMessage { get; set; }
    /// <summary>JSON object with machine-readable details of the rejection (missing fields, duplicate of …).</summary>
    public string? RejectionDetails { get; set; }
}

[SnakeCaseApiNames]
public enum RejectionReason
{
    CaptureDuplicate,
    FileDuplicate,
    InvalidFile,
    InvalidMetadata,
    OtherError,
}
