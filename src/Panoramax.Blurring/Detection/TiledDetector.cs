using NetVips;

namespace Panoramax.Blurring.Detection;

/// <summary>
/// Runs every detector over the overlapping tiles of a picture plus one pass over the whole picture (for
/// objects bigger than a tile), maps boxes back to full resolution and merges them across tiles (and across
/// the seam of 360° pictures).
/// </summary>
public sealed class TiledDetector
{
    private readonly IReadOnlyList<IObjectDetector> _detectors;
    private readonly int _tileSize;
    private readonly double _overlap;
    private readonly int _parallelism;
    private readonly double _mergeIou;

    public TiledDetector(IReadOnlyList<IObjectDetector> detectors, int tileSize, double overlap, int parallelism = 1, double mergeIou = 0.3)
    {
        _detectors = detectors;
        _tileSize = tileSize;
        _overlap = overlap;
        _parallelism = Math.Max(1, parallelism);
        _mergeIou = mergeIou;
    }

    /// <remarks><paramref name="image"/> is upright, 8-bit, 3-band sRGB, ideally already in memory (tiles crop it
    /// many times). With <paramref name="equirectangular"/> a box crossing the seam comes back as its two parts,
    /// so every box lies inside the picture.</remarks>
    public IReadOnlyList<ObjectDetection> Detect(Image image, bool equirectangular, InferenceClock? clock = null, CancellationToken cancellationToken = default)
    {
        var tiles = TilePlanner.Plan(image.Width, image.Height, _tileSize, _overlap, equirectangular);
        var passes = new List<Tile>(tiles);
        if (tiles.Count > 1)
        {
            passes.Add(new Tile(0, 0, image.Width, image.Height));
        }
        var raw = new List<ObjectDetection>();
        var gate = new object();
        Parallel.ForEach(
            passes,
            new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken },
            tile =>
            {
                using var view = Cut(image, tile);
                foreach (var detector in _detectors)
                {
                    var found = detector.Detect(view, clock);
                    lock (gate)
                    {
                        raw.AddRange(found.Select(d => d with { Box = d.Box.Offset(tile.X, tile.Y) }));
                    }
                }
            });
        var merged = BoxMerger.Merge(raw, _mergeIou, wrapWidth: equirectangular ? image.Width : null);
        return equirectangular ? [.. merged.SelectMany(d => BoxMerger.SplitAtSeam(d, image.Width))] : merged;
    }

    private static Image Cut(Image image, Tile tile)
    {
        if (tile.X == 0 && tile.Y == 0 && tile.Width == image.Width && tile.Height == image.Height)
        {
            return image.Copy();
        }
        if (tile.X + tile.Width <= image.Width)
        {
            return image.Crop(tile.X, tile.Y, tile.Width, tile.Height);
        }
        // Straddles the 360 seam: the right edge continues with the left edge.
        var rightPart = image.Width - tile.X;
        using var right = image.Crop(tile.X, tile.Y, rightPart, tile.Height);
        using var left = image.Crop(0, tile.Y, tile.Width - rightPart, tile.Height);
        return right.Join(left, Enums.Direction.Horizontal);
    }
}
