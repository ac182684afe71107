using NetVips;
using Panoramax.Domain.Pictures;

namespace Panoramax.Imaging;

/// <summary>
/// The tile pyramid of an equirectangular picture as the viewer requests it (<c>tiles:tile_matrix_sets.geovisio</c>):
/// <see cref="Cols"/> × <see cref="Rows"/> tiles of <see cref="TileWidth"/> × <see cref="TileHeight"/> pixels, named
/// <c>{col}_{row}</c> from the top-left. The right/bottom remainder of a size not divisible by the grid (less than one
/// pixel per tile) is dropped, as the viewer assumes equal tiles.
/// </summary>
public sealed record TileGrid(int Cols, int Rows, int TileWidth, int TileHeight)
{
    private static readonly int[] ColumnChoices = [64, 32, 16, 8, 4];

    /// <summary>The largest of 4…64 columns with tiles at least 512 px wide (4 at least), and half as many rows.</summary>
    public static TileGrid For(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var fit = width / 512;
        var cols = ColumnChoices.FirstOrDefault(c => c <= fit, 4);
        var rows = cols / 2;
        return new TileGrid(cols, rows, Math.Max(1, width / cols), Math.Max(1, height / rows));
    }

    public static string TileName(int col, int row) => $"{col}_{row}";
}

/// <summary>One encoded tile; <see cref="Jpeg"/> is a complete JPEG file.</summary>
public sealed record RenderedTile(int Col, int Row, ReadOnlyMemory<byte> Jpeg)
{
    public string Name => TileGrid.TileName(Col, Row);
}

/// <summary>Pixel size of a written derivative.</summary>
public readonly record struct RenderedSize(int Width, int Height);

/// <summary>
/// Makes the published derivatives of a picture with libvips: SD (2048 px wide, EXIF/XMP kept), the thumbnail
/// (500×300) and, for 360° pictures, the tile pyramid. HD is the original file and is not rendered here.
/// Memory stays bounded whatever the picture size: the SD is made with shrink-on-load, and tiles read the source
/// sequentially (libvips' dzsave for square tiles, else one strip of tile rows at a time), so a 100 MP panorama never
/// sits decoded in memory, and pixels never enter managed memory (only encoded JPEGs do).
/// Stateless and thread-safe: register it as a singleton. Throws <see cref="VipsException"/> on undecodable input —
/// files should have gone through <see cref="PictureMetadataReader"/> first.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "One injectable service: every method stays an instance method even when it needs no state.")]
public sealed class DerivativeRenderer
{
    public const int SdWidth = 2048;
    public const int SdQuality = 75;
    public const int ThumbWidth = 500;
    public const int ThumbHeight = 300;
    public const int ThumbQuality = 75;
    public const int TileQuality = 95;
    /// <summary>360° thumbnails are a crop of the front of the sphere at this size.</summary>
    private const int SphereThumbSourceWidth = 2000;
    private const int SphereThumbSourceHeight = 1000;
    /// <summary>A height bound no picture reaches, so that only the width constrains the SD.</summary>
    private const int Unbounded = 10_000_000;

    private readonly string _tempDirectory;

    /// <param name="tempDirectory">Where libvips' tiler writes a panorama's tiles before they are handed over (deleted after); the system temp folder by default.</param>
    public DerivativeRenderer(string? tempDirectory = null)
    {
        _tempDirectory = string.IsNullOrEmpty(tempDirectory) ? Path.GetTempPath() : tempDirectory;
    }

    /// <summary>Writes the SD and the thumbnail from a single shrink-on-load decode of the source.</summary>
    public (RenderedSize Sd, RenderedSize Thumb) WriteSdAndThumbnail(string sourcePath, PictureKind kind, Stream sd, Stream thumb)
    {
        VipsRuntime.EnsureAvailable();
        using var image = Image.Thumbnail(sourcePath, SdWidth, height: Unbounded, size: Enums.Size.Down, failOn: Enums.FailOn.Truncated);
        return WriteSdAndThumbnail(image, kind, sd, thumb);
    }

    /// <param name="source">A seekable stream holding the original JPEG.</param>
    /// <param name="kind">Flat or equirectangular, as read by <see cref="PictureMetadataReader"/>.</param>
    /// <param name="sd">Receives the SD JPEG.</param>
    /// <param name="thumb">Receives the thumbnail JPEG.</param>
    public (RenderedSize Sd, RenderedSize Thumb) WriteSdAndThumbnail(Stream source, PictureKind kind, Stream sd, Stream thumb)
    {
        VipsRuntime.EnsureAvailable();
        using var image = Image.ThumbnailStream(source, SdWidth, height: Unbounded, size: Enums.Size.Down, failOn: Enums.FailOn.Truncated);
        return WriteSdAndThumbnail(image, kind, sd, thumb);
    }

    private static (RenderedSize, RenderedSize) WriteSdAndThumbnail(Image shrunk, PictureKind kind, Stream sd, Stream thumb)
    {
        // The SD is at most 2048 px wide: holding it decoded lets the thumbnail reuse it instead of decoding the source again.
        using var sdImage = shrunk.CopyMemory();
        sdImage.JpegsaveStream(sd, q: SdQuality, keep: Enums.ForeignKeep.All);
        var thumbSize = WriteThumbnail(sdImage, kind, thumb);
        return (new RenderedSize(sdImage.Width, sdImage.Height), thumbSize);
    }

    private static RenderedSize WriteThumbnail(Image image, PictureKind kind, Stream output)
    {
        if (kind == PictureKind.Equirectangular)
        {
            // Front view: the centre of the sphere at 2000×1000, cropped to 500×300.
            using var sphere = image.ThumbnailImage(SphereThumbSourceWidth, height: SphereThumbSourceHeight, size: Enums.Size.Force);
            using var front = sphere.ExtractArea(
                (SphereThumbSourceWidth - ThumbWidth) / 2, (SphereThumbSourceHeight - ThumbHeight) / 2, ThumbWidth, ThumbHeight);
            front.JpegsaveStream(output, q: ThumbQuality, keep: Enums.ForeignKeep.None);
            return new RenderedSize(front.Width, front.Height);
        }
        using var cropped = image.ThumbnailImage(ThumbWidth, height: ThumbHeight, size: Enums.Size.Both, crop: Enums.Interesting.Centre);
        cropped.JpegsaveStream(output, q: ThumbQuality, keep: Enums.ForeignKeep.None);
        return new RenderedSize(cropped.Width, cropped.Height);
    }

    /// <summary>
    /// The tiles of an equirectangular picture, row by row, left to right. Lazily produced: only one strip of tile
    /// rows is decoded at a time, so the caller should store each tile before asking for the next.
    /// </summary>
    public IEnumerable<RenderedTile> RenderTiles(string sourcePath, CancellationToken ct = default)
    {
        VipsRuntime.EnsureAvailable();
        return RenderTilesCore(() => Image.NewFromFile(sourcePath, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated),
            () => Image.NewFromFile(sourcePath, access: Enums.Access.Random, failOn: Enums.FailOn.Truncated), ct);
    }

    /// <param name="source">A seekable stream holding the original JPEG; it must stay open during the enumeration.</param>
    /// <param name="ct">Stops the enumeration between tiles.</param>
    public IEnumerable<RenderedTile> RenderTiles(Stream source, CancellationToken ct = default)
    {
        VipsRuntime.EnsureAvailable();
        return RenderTilesCore(
            () => { source.Position = 0; return Image.NewFromStream(source, access: Enums.Access.Sequential, failOn: Enums.FailOn.Truncated); },
            () => { source.Position = 0; return Image.NewFromStream(source, access: Enums.Access.Random, failOn: Enums.FailOn.Truncated); },
            ct);
    }

    /// <summary>Stores every tile through <paramref name="store"/>, returning the grid to record on the picture.</summary>
    public async Task<TileGrid> WriteTilesAsync(string sourcePath, Func<RenderedTile, CancellationToken, Task> store, CancellationToken ct)
    {
        var grid = TileGridForFile(sourcePath);
        foreach (var tile in RenderTiles(sourcePath, ct))
        {
            await store(tile, ct);
        }
        return grid;
    }

    /// <summary>The grid <see cref="RenderTiles(string, CancellationToken)"/> will produce for this file (displayed size).</summary>
    public static TileGrid TileGridForFile(string sourcePath)
    {
        VipsRuntime.EnsureAvailable();
        using var header = Image.NewFromFile(sourcePath, access: Enums.Access.Sequential);
        var (w, h) = DisplayedSize(header);
        return TileGrid.For(w, h);
    }

    private IEnumerable<RenderedTile> RenderTilesCore(Func<Image> openSequential, Func<Image> openRandom, CancellationToken ct)
    {
        var source = openSequential();
        try
        {
            if (Orientation(source) > 1)
            {
                // Rotating needs random access (a full decode in libvips' own memory); rotated panoramas are rare.
                source.Dispose();
                using var random = openRandom();
                source = random.Autorot();
            }
            var grid = TileGrid.For(source.Width, source.Height);
            if (grid.TileWidth == grid.TileHeight)
            {
                // Square tiles (every 2:1 panorama): libvips' own tiler overlaps decoding and encoding and is about twice
                // as cheap in CPU as cutting strips here (measured on a 100 MP panorama, see bench/RESULTS.md).
                foreach (var tile in DeepZoomTiles(source, grid, ct))
                {
                    yield return tile;
                }
                yield break;
            }
            var stripWidth = grid.Cols * grid.TileWidth;
            var tiles = new RenderedTile[grid.Cols];
            // The JPEG decoder works in blocks of 8/16 lines and refuses to go back: a strip ending mid-block would
            // leave the next one starting behind it ("out of order read"). So the source is read in chunks ending on
            // a 16-line boundary, and the lines read past a strip are carried over to the next one.
            Image? carry = null;
            var readPos = 0;
            try
            {
                for (var row = 0; row < grid.Rows; row++)
                {
                    ct.ThrowIfCancellationRequested();
                    var stripEnd = (row + 1) * grid.TileHeight;
                    var readEnd = Math.Min(source.Height, (stripEnd + 15) / 16 * 16);
                    using var band = source.ExtractArea(0, readPos, stripWidth, readEnd - readPos);
                    using var fresh = band.CopyMemory();
                    var previous = carry;
                    carry = null;
                    // Joining two memory images is lazy and cheap: the tiles read straight from both.
                    using (previous)
                    using (var strip = previous is null ? fresh.Copy() : previous.Join(fresh, Enums.Direction.Vertical))
                    {
                        var r = row;
                        // JPEG encoding is single-threaded in libvips: spread the tiles of a strip over the cores.
                        Parallel.For(0, grid.Cols, new ParallelOptions { CancellationToken = ct }, col =>
                        {
                            using var tile = strip.ExtractArea(col * grid.TileWidth, 0, grid.TileWidth, grid.TileHeight);
                            tiles[col] = new RenderedTile(col, r, tile.JpegsaveBuffer(q: TileQuality, keep: Enums.ForeignKeep.None));
                        });
                        if (readEnd > stripEnd)
                        {
                            using var rest = strip.ExtractArea(0, grid.TileHeight, stripWidth, readEnd - stripEnd);
                            carry = rest.CopyMemory();
                        }
                    }
                    readPos = readEnd;
                    foreach (var tile in tiles)
                    {
                        yield return tile;
                    }
                }
            }
            finally
            {
                carry?.Dispose();
            }
        }
        finally
        {
            source.Dispose();
        }
    }

    private IEnumerable<RenderedTile> DeepZoomTiles(Image source, TileGrid grid, CancellationToken ct)
    {
        var dir = Path.Combine(_tempDirectory, "panoramax-tiles-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // The remainder beyond cols × tile width is dropped (see TileGrid), so dzsave never makes partial edge tiles.
            using (var exact = source.ExtractArea(0, 0, grid.Cols * grid.TileWidth, grid.Rows * grid.TileHeight))
            {
                exact.Dzsave(Path.Combine(dir, "t"), depth: Enums.ForeignDzDepth.One, tileSize: grid.TileWidth, overlap: 0,
                    suffix: $".jpg[Q={TileQuality}]", keep: Enums.ForeignKeep.None);
            }
            var level = Path.Combine(dir, "t_files", "0");
            for (var row = 0; row < grid.Rows; row++)
            {
                for (var col = 0; col < grid.Cols; col++)
                {
                    ct.ThrowIfCancellationRequested();
                    yield return new RenderedTile(col, row, File.ReadAllBytes(Path.Combine(level, TileGrid.TileName(col, row) + ".jpg")));
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int Orientation(Image image) =>
        image.Contains("orientation") && image.Get("orientation") is int o ? o : 1;

    private static (int Width, int Height) DisplayedSize(Image image) =>
        Orientation(image) >= 5 ? (image.Height, image.Width) : (image.Width, image.Height);
}
