using System.Buffers;
using NetVips;

namespace Panoramax.Blurring.Models;

/// <summary>Turns an 8-bit RGB NetVips image into the planar float tensors the models want.</summary>
internal static class TensorFill
{
    /// <summary>
    /// Writes <paramref name="image"/> (uchar, 3 bands, RGB) into a 1×3×H×W tensor of size
    /// <paramref name="tensorW"/>×<paramref name="tensorH"/> at offset (<paramref name="left"/>, <paramref name="top"/>),
    /// as <c>(v - mean) * scale</c>; the rest is <paramref name="padValue"/> (already normalised).
    /// </summary>
    /// <remarks>The buffer is rented from the shared pool (tiles make many 2–8 MB tensors); return it when done.</remarks>
    public static float[] Planar(Image image, int tensorW, int tensorH, int left, int top, bool bgr, float mean, float scale, float padValue)
    {
        var plane = tensorW * tensorH;
        var data = ArrayPool<float>.Shared.Rent(3 * plane);
        Array.Fill(data, padValue, 0, 3 * plane);
        var pixels = image.WriteToMemory<byte>();
        var w = image.Width;
        var h = image.Height;
        var lut = new float[256];
        for (var v = 0; v < 256; v++)
        {
            lut[v] = (v - mean) * scale;
        }
        var c0 = bgr ? 2 * plane : 0;
        var c2 = bgr ? 0 : 2 * plane;
        for (var y = 0; y < h; y++)
        {
            // Spans per row let the JIT drop most bounds checks in the hot loop.
            var src = pixels.AsSpan(y * w * 3, w * 3);
            var row = (y + top) * tensorW + left;
            var p0 = data.AsSpan(c0 + row, w);
            var p1 = data.AsSpan(plane + row, w);
            var p2 = data.AsSpan(c2 + row, w);
            for (int x = 0, i = 0; x < p0.Length && i + 2 < src.Length; x++, i += 3)
            {
                p0[x] = lut[src[i]];
                p1[x] = lut[src[i + 1]];
                p2[x] = lut[src[i + 2]];
            }
        }
        return data;
    }

    /// <summary>Resizes by exact per-axis factors so the result has exactly the wanted size.</summary>
    public static Image ResizeTo(Image image, int width, int height)
    {
        if (image.Width == width && image.Height == height)
        {
            return image.Copy();
        }
        // Linear is plenty for a detector input and much cheaper than the default lanczos3.
        var resized = image.Resize((double)width / image.Width, kernel: Enums.Kernel.Linear, vscale: (double)height / image.Height);
        if (resized.Width == width && resized.Height == height)
        {
            return resized;
        }
        // libvips rounds sizes; fix a pixel of difference without another resample.
        using (resized)
        {
            return resized.Gravity(Enums.CompassDirection.NorthWest, width, height, Enums.Extend.Copy);
        }
    }
}
