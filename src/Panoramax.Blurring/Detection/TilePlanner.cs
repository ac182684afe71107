namespace Panoramax.Blurring.Detection;

/// <summary>A square-ish window of the full picture. With wrapping, X + Width may pass the right edge.</summary>
public readonly record struct Tile(int X, int Y, int Width, int Height);

/// <summary>
/// Where to look. Small faces and plates vanish when a 12 MP or 360 picture is squeezed into a 416–832 px
/// model input, so the picture is cut into overlapping tiles seen at (near) full resolution.
/// </summary>
public static class TilePlanner
{
    /// <remarks>An object smaller than overlap × tile is always wholly inside at least one tile. With
    /// <paramref name="wrap"/> (360° equirectangular) the columns go round the seam and the last tile straddles
    /// x = width.</remarks>
    public static IReadOnlyList<Tile> Plan(int width, int height, int tileSize, double overlap, bool wrap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 32);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(overlap, 0.9);
        var rows = Positions(height, tileSize, overlap);
        var cols = wrap ? WrappedPositions(width, tileSize, overlap) : Positions(width, tileSize, overlap);
        var tiles = new List<Tile>(rows.Count * cols.Count);
        foreach (var (y, h) in rows)
        {
            foreach (var (x, w) in cols)
            {
                tiles.Add(new Tile(x, y, w, h));
            }
        }
        return tiles;
    }

    private static List<(int Start, int Size)> Positions(int length, int tile, double overlap)
    {
        if (length <= tile)
        {
            return [(0, length)];
        }
        var n = (int)Math.Ceiling((length - tile) / (tile * (1 - overlap))) + 1;
        var stride = (double)(length - tile) / (n - 1);
        return [.. Enumerable.Range(0, n).Select(i => ((int)Math.Round(i * stride), tile))];
    }

    private static List<(int Start, int Size)> WrappedPositions(int length, int tile, double overlap)
    {
        var size = Math.Min(tile, length);
        var n = Math.Max(2, (int)Math.Ceiling(length / (size * (1 - overlap))));
        var stride = (double)length / n;
        return [.. Enumerable.Range(0, n).Select(i => ((int)Math.Round(i * stride), size))];
    }
}
