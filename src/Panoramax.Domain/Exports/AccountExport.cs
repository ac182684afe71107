namespace Panoramax.Domain.Exports;

/// <summary>
/// One archive of everything an account uploaded (files, STAC metadata, sequence list), made by a durable job
/// (<see cref="Jobs.JobKinds.ExportAccount"/>) and kept privately in the blob store until <see cref="ExpiresAt"/>.
/// The row is marked <see cref="ExportState.Ready"/> only once the whole archive is stored: a crash mid-way leaves
/// it running (the job starts over), never a half archive offered for download.
/// </summary>
public sealed class AccountExport
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public ExportState State { get; set; } = ExportState.Queued;
    /// <summary>The public URL the export was asked on: the STAC hrefs inside the archive use it (the job has no request).</summary>
    public required string BaseUrl { get; set; }
    /// <summary>Pictures written so far (progress), out of <see cref="PicturesTotal"/>.</summary>
    public int PicturesDone { get; set; }
    public int PicturesTotal { get; set; }
    /// <summary>Blob-store key of the finished archive (<see cref="Abstractions.StorageKeys.Export"/>); never served publicly.</summary>
    public string? BlobKey { get; set; }
    public long? SizeBytes { get; set; }
    /// <summary>Lower-case hex SHA-256 of the whole archive, so a downloaded copy can be checked.</summary>
    public string? Sha256 { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>After this instant the archive is deleted from storage and the row becomes <see cref="ExportState.Expired"/>.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

public enum ExportState
{
    Queued,
    Running,
    Ready,
    /// <summary>Gave up after the job's last attempt; <see cref="AccountExport.Error"/> says why.</summary>
    Failed,
    /// <summary>The archive was deleted after its retention period; ask for a new export.</summary>
    Expired,
}
