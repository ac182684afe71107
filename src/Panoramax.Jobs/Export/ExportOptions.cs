namespace Panoramax.Jobs.Export;

/// <summary>Account exports (section <c>Panoramax:Export</c>).</summary>
public sealed class ExportOptions
{
    public const string Section = "Panoramax:Export";

    /// <summary>How long a finished archive stays downloadable; afterwards it is deleted from storage.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Pictures read per keyset page: memory stays bounded whatever the size of the account.</summary>
    public int PageSize { get; set; } = 500;

    /// <summary>Where the archive is assembled before it goes to the blob store (default: the system temp folder).</summary>
    public string? TempDirectory { get; set; }
}
