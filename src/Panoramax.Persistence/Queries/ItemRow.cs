namespace Panoramax.Persistence.Queries;

/// <summary>Everything the STAC Item of a picture needs, read in one query (with its neighbours in the sequence).</summary>
public sealed record ItemRow
{
    public Guid Id { get; init; }
    public Guid SequenceId { get; init; }
    public int Rank { get; init; }
    public double Lon { get; init; }
    public double Lat { get; init; }
    public DateTimeOffset CapturedAt { get; init; }
    public short? UtcOffsetMinutes { get; init; }
    public double? Heading { get; init; }
    public double? Pitch { get; init; }
    public double? Roll { get; init; }
    public required string Kind { get; init; }
    public string? CameraMake { get; init; }
    public string? CameraModel { get; init; }
    public double? FocalLength { get; init; }
    public double? FieldOfView { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    public double? GpsAccuracy { get; init; }
    public int? HorizontalPixelDensity { get; init; }
    public required string OriginalFileName { get; init; }
    public long OriginalFileSize { get; init; }
    public required string Status { get; init; }
    public required string Visibility { get; init; }
    public string? License { get; init; }
    public required string ExifJson { get; init; }
    public required string SemanticsJson { get; init; }
    public required string SequenceSemanticsJson { get; init; }
    public int? TileCols { get; init; }
    public int? TileRows { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public Guid AccountId { get; init; }
    public required string AccountName { get; init; }
    public Neighbour? Prev { get; init; }
    public Neighbour? Next { get; init; }
    /// <summary>File hrefs on the origin instance for replicated pictures (<c>{"hd","sd","thumb","tiles"}</c>); null for local ones.</summary>
    public string? RemoteAssetsJson { get; init; }
    public long Version { get; init; }
}

/// <summary>A picture linked from another (previous/next in the sequence, or related in another sequence).</summary>
public sealed record Neighbour(Guid Id, Guid SequenceId, double Lon, double Lat, DateTimeOffset CapturedAt);
