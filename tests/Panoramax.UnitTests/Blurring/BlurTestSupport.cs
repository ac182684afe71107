using NetVips;
using Panoramax.Blurring;
using Panoramax.Blurring.Detection;

namespace Panoramax.UnitTests.Blurring;

/// <summary>The shared folder (test pictures and models): ../shared beside the repository, or PANORAMAX_SHARED_DIR.</summary>
internal static class Shared
{
    public static string Dir { get; } = Find();

    public static string Data(params string[] parts) => Path.Combine([Dir, "data", .. parts]);

    public static string Models => Path.Combine(Dir, "models");

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("PANORAMAX_SHARED_DIR") is { Length: > 0 } env)
        {
            return env;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Panoramax.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            }
        }
        throw new InvalidOperationException("shared folder not found: set PANORAMAX_SHARED_DIR");
    }
}

/// <summary>One blurrer (models loaded once) for all blurring tests.</summary>
public sealed class BlurrerFixture : IDisposable
{
    public BlurrerFixture()
    {
        Blurrer = new PictureBlurrer(new BlurringOptions { ModelDirectory = Shared.Models });
        Blurrer.EnsureAvailable();
    }

    public PictureBlurrer Blurrer { get; }

    public void Dispose() => Blurrer.Dispose();
}

/// <summary>Grey-level measurements used to decide whether a region was really blurred.</summary>
internal sealed class GreyPixels
{
    private readonly double[] _g;

    private GreyPixels(double[] g, int width, int height)
    {
        _g = g;
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    public static GreyPixels From(Image rgb)
    {
        var bytes = rgb.WriteToMemory<byte>();
        var g = new double[rgb.Width * rgb.Height];
        for (var i = 0; i < g.Length; i++)
        {
            g[i] = (bytes[3 * i] + bytes[3 * i + 1] + bytes[3 * i + 2]) / 3.0;
        }
        return new GreyPixels(g, rgb.Width, rgb.Height);
    }

    public static GreyPixels FromJpeg(byte[] jpeg)
    {
        using var image = Image.NewFromBuffer(jpeg);
        using var rgb = PictureDecoder.ToRgb8(image.Copy());
        return From(rgb);
    }

    public static GreyPixels FromFile(string path)
    {
        using var stream = File.OpenRead(path);
        using var image = PictureDecoder.LoadUpright(stream);
        return From(image);
    }

    /// <summary>Mean absolute Laplacian: high for detail (eyes, characters), near zero once blurred.</summary>
    public double LaplacianEnergy(PixelBox box)
    {
        var (x1, y1, x2, y2) = Clip(box, 1);
        double sum = 0;
        var n = 0;
        for (var y = y1; y < y2; y++)
        {
            for (var x = x1; x < x2; x++)
            {
                var i = y * Width + x;
                sum += Math.Abs(4 * _g[i] - _g[i - 1] - _g[i + 1] - _g[i - Width] - _g[i + Width]);
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    public double Variance(PixelBox box)
    {
        var (x1, y1, x2, y2) = Clip(box, 0);
        double s = 0, s2 = 0;
        var n = 0;
        for (var y = y1; y < y2; y++)
        {
            for (var x = x1; x < x2; x++)
            {
                var v = _g[y * Width + x];
                s += v;
                s2 += v * v;
                n++;
            }
        }
        return n == 0 ? 0 : (s2 / n) - (s / n * (s / n));
    }

    /// <summary>Mean absolute grey difference over pixels outside every given region.</summary>
    public double MeanAbsDiffOutside(GreyPixels other, IReadOnlyList<PixelBox> regions)
    {
        double sum = 0;
        long n = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                if (regions.Any(r => x >= r.X1 - 8 && x < r.X2 + 8 && y >= r.Y1 - 8 && y < r.Y2 + 8))
                {
                    continue;
                }
                var i = y * Width + x;
                sum += Math.Abs(_g[i] - other._g[i]);
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private (int X1, int Y1, int X2, int Y2) Clip(PixelBox b, int border) =>
        (Math.Max(border, (int)Math.Ceiling(b.X1)), Math.Max(border, (int)Math.Ceiling(b.Y1)),
         Math.Min(Width - border, (int)Math.Floor(b.X2)), Math.Min(Height - border, (int)Math.Floor(b.Y2)));
}
