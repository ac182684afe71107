namespace Panoramax.Blurring.Detection;

/// <summary>The two classes a Panoramax blurring service reports (its API names them "face" and "plate").</summary>
public static class DetectionClasses
{
    public const string Face = "face";
    public const string Plate = "plate";

    public static readonly IReadOnlyList<string> All = [Face, Plate];
}

/// <summary>One object to hide, in the coordinates of the upright (EXIF-rotated) full-resolution picture.</summary>
public sealed record ObjectDetection(string Class, float Confidence, PixelBox Box);
