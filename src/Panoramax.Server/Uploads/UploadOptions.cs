using System.ComponentModel.DataAnnotations;

namespace Panoramax.Server.Uploads;

/// <summary><c>Panoramax:Uploads</c>: limits of the upload routes.</summary>
public sealed class UploadOptions
{
    public const string Section = "Panoramax:Uploads";

    /// <summary>Largest picture file accepted (413 above). 360° pictures of current cameras are 20–60 MB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// Largest picture accepted, in pixels (width × height; 150 megapixels by default, as the blurring service): larger
    /// files are refused at upload with their size, since processing decodes a picture whole in memory.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 150_000_000;

    /// <summary>Where files are spooled while they are received and checked; empty means <c>&lt;DataDirectory&gt;/tmp/uploads</c>.</summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>The exiv2 tool that writes uploaders' <c>override_Exif.*</c>/<c>override_Xmp.*</c> tags into their files.</summary>
    public string Exiv2Path { get; set; } = "exiv2";
}
