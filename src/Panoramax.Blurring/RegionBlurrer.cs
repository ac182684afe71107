using NetVips;
using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring;

/// <summary>
/// Makes regions unrecognisable for good: each region is pixelated to a handful of blocks (the detail is gone,
/// not just softened, so no deconvolution can bring it back) and the blocks are then smoothed with a strong
/// gaussian so the result does not look like a glitch.
/// </summary>
public static class RegionBlurrer
{
    /// <summary>Blocks along the longest side of a region.</summary>
    public const int BlocksAcross = 8;

    /// <summary>
    /// The region actually hidden for a detection: face boxes are widened to a square first (face detectors
    /// box forehead to chin but leave out cheeks, ears and hair), then every side grows by
    /// <paramref name="margin"/> of the box size. Not clipped.
    /// </summary>
    public static PixelBox RegionOf(ObjectDetection detection, double margin)
    {
        var b = detection.Box;
        if (detection.Class == DetectionClasses.Face && b.Height > b.Width)
        {
            var cx = (b.X1 + b.X2) / 2;
            b = b with { X1 = cx - (b.Height / 2), X2 = cx + (b.Height / 2) };
        }
        return b.Grow(margin);
    }

    /// <summary>
    /// Returns <paramref name="image"/> with every box (grown by <paramref name="margin"/> of its size on each
    /// side, see <see cref="RegionOf"/>, clipped to the picture) hidden. Lazy: nothing is computed until the result is written, and the
    /// source pixels are read in place.
    /// </summary>
    public static Image Blur(Image image, IEnumerable<ObjectDetection> detections, double margin) =>
        Blur(image, detections.Select(d => RegionOf(d, margin)));

    /// <summary>Hides exactly the given regions (clipped to the picture).</summary>
    public static Image Blur(Image image, IEnumerable<PixelBox> regions)
    {
        var result = image;
        var owned = new List<Image>();
        try
        {
            foreach (var region in regions)
            {
                var g = region.Clip(image.Width, image.Height);
                var x = (int)Math.Floor(g.X1);
                var y = (int)Math.Floor(g.Y1);
                var w = (int)Math.Ceiling(g.X2) - x;
                var h = (int)Math.Ceiling(g.Y2) - y;
                if (w < 1 || h < 1)
                {
                    continue;
                }
                using var patch = Obscure(result, x, y, w, h);
                var next = result.Insert(patch, x, y);
                owned.Add(next);
                result = next;
            }
            // The caller owns the final image; intermediate ones are referenced by it inside libvips.
            // (NetVips overloads == for pixel comparison, hence ReferenceEquals.)
            if (ReferenceEquals(result, image))
            {
                return image.Copy();
            }
            owned.RemoveAt(owned.Count - 1);
            return result;
        }
        finally
        {
            foreach (var o in owned)
            {
                o.Dispose();
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="image"/> with the regions hidden as a JPEG of <paramref name="jpegQuality"/>, EXIF/XMP
    /// kept but without the EXIF preview (it would show the unblurred picture).
    /// </summary>
    public static void Save(Image image, IEnumerable<PixelBox> regions, Stream output, int jpegQuality)
    {
        using var blurred = Blur(image, regions);
        using var clean = ExifThumbnail.Remove(blurred);
        clean.JpegsaveStream(output, q: jpegQuality, keep: Enums.ForeignKeep.All);
    }

    /// <summary>
    /// Hides regions a person pointed at (no detection, no model needed): decodes <paramref name="jpeg"/> upright, hides
    /// each region grown by <paramref name="margin"/> of its size on every side, and writes the result. Used to correct
    /// an already published picture, whose stored file is the input.
    /// </summary>
    /// <exception cref="VipsException">the picture cannot be decoded</exception>
    public static void HideRegions(Stream jpeg, Stream output, IEnumerable<PixelBox> regions, double margin, int jpegQuality)
    {
        using var image = PictureDecoder.LoadUpright(jpeg);
        Save(image, regions.Select(r => r.Grow(margin)), output, jpegQuality);
    }

    private static Image Obscure(Image source, int x, int y, int w, int h)
    {
        using var crop = source.Crop(x, y, w, h);
        var block = Math.Max(2, (int)Math.Ceiling(Math.Max(w, h) / (double)BlocksAcross));
        var sw = Math.Max(1, (int)Math.Ceiling(w / (double)block));
        var sh = Math.Max(1, (int)Math.Ceiling(h / (double)block));
        using var small = crop.Resize((double)sw / w, vscale: (double)sh / h);
        using var blocks = small.Resize((double)w / small.Width, kernel: Enums.Kernel.Nearest, vscale: (double)h / small.Height);
        using var exact = blocks.Width == w && blocks.Height == h
            ? blocks.Copy()
            : blocks.Gravity(Enums.CompassDirection.NorthWest, w, h, Enums.Extend.Copy);
        using var smooth = exact.Gaussblur(block);
        return smooth.Cast(source.Format);
    }
}
