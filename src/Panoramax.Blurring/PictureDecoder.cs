using NetVips;

namespace Panoramax.Blurring;

/// <summary>Decodes a picture once into memory, upright and in 8-bit sRGB, the form both detection and blurring use.</summary>
public static class PictureDecoder
{
    /// <summary>
    /// Detection must see the picture as viewers show it, and the boxes must apply to the pixels we write:
    /// so the EXIF orientation is applied here (libvips then drops the tag) and the upright pixels are what
    /// gets re-encoded. Truncated files fail instead of decoding half grey.
    /// </summary>
    public static Image LoadUpright(Stream input)
    {
        Image decoded;
        using (var lazy = Image.NewFromStream(input, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated))
        {
            decoded = lazy.CopyMemory();
        }
        var orientation = decoded.Contains("orientation") ? Convert.ToInt32(decoded.Get("orientation"), System.Globalization.CultureInfo.InvariantCulture) : 1;
        if (orientation is > 1 and <= 8)
        {
            // Rotation needs random access to the decoded pixels, so a rotated picture briefly exists twice.
            var stored = decoded;
            using (stored)
            using (var rotated = stored.Autorot())
            {
                decoded = rotated.CopyMemory();
            }
        }
        return ToRgb8(decoded);
    }

    /// <summary>Grey, CMYK, 16-bit or alpha pictures become plain 3-band 8-bit sRGB (lazily).</summary>
    public static Image ToRgb8(Image image)
    {
        var current = image;
        if (current.Interpretation is not (Enums.Interpretation.Srgb or Enums.Interpretation.Rgb) || current.Bands < 3)
        {
            current = Replace(current, current.Colourspace(Enums.Interpretation.Srgb));
        }
        if (current.HasAlpha())
        {
            current = Replace(current, current.Flatten(background: [255, 255, 255]));
        }
        if (current.Bands > 3)
        {
            current = Replace(current, current.ExtractBand(0, 3));
        }
        if (current.Format != Enums.BandFormat.Uchar)
        {
            current = Replace(current, current.Cast(Enums.BandFormat.Uchar));
        }
        return current;
    }

    private static Image Replace(Image old, Image next)
    {
        old.Dispose();
        return next;
    }
}
