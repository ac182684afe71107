namespace Panoramax.Imaging.Metadata;

/// <summary>
/// 360° cameras whose files often lack GPano XMP (edited or re-exported pictures); a 2:1 picture from one of them is
/// equirectangular. The list matches on make/model substrings, case-insensitively, because firmware spells them variously.
/// </summary>
internal static class Cameras
{
    private static readonly (string Make, string Model)[] Known360 =
    [
        ("gopro", "max"),
        ("gopro", "fusion"),
        ("ricoh", "theta"),
        ("insta360", ""),
        ("arashi vision", ""), // Insta360's company name, written by some firmware
        ("", "insta360"),
        ("samsung", "sm-c200"), // Gear 360 (2016)
        ("samsung", "sm-r210"), // Gear 360 (2017)
        ("samsung", "gear 360"),
        ("xiaomi", "mi sphere"),
        ("kandao", "qoocam"),
        ("garmin", "virb 360"),
        ("lg", "lg-r105"), // LG 360 CAM
        ("labpano", ""),
        ("pisofttech", "pilot"),
        ("trisio", ""),
        ("nctech", "iris360"),
        ("mosaic", "51"),
        ("vuze", ""),
        ("gopro", "360"),
    ];

    public static bool IsKnown360(string? make, string? model)
    {
        if (make is null && model is null)
        {
            return false;
        }
        var mk = make ?? "";
        var md = model ?? "";
        foreach (var (knownMake, knownModel) in Known360)
        {
            if ((knownMake.Length == 0 || mk.Contains(knownMake, StringComparison.OrdinalIgnoreCase))
                && (knownModel.Length == 0 || md.Contains(knownModel, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Horizontal field of view of a rectilinear lens, in degrees, from a focal length and the sensor width.</summary>
    public static double? FieldOfView(double focalMm, double sensorWidthMm)
    {
        if (!(focalMm > 0) || !(sensorWidthMm > 0))
        {
            return null;
        }
        var fov = 2 * Math.Atan(sensorWidthMm / (2 * focalMm)) * 180 / Math.PI;
        return double.IsFinite(fov) && fov > 0 && fov < 180 ? Math.Round(fov, 2) : null;
    }
}
