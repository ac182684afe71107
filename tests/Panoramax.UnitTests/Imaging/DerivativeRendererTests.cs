using NetVips;
using Panoramax.Domain.Pictures;
using Panoramax.Imaging;

namespace Panoramax.UnitTests.Imaging;

public class DerivativeRendererTests
{
    private readonly DerivativeRenderer _renderer = new();

    private static (int Width, int Height) SizeOf(byte[] jpeg)
    {
        Assert.True(jpeg.Length > 3 && jpeg[0] == 0xFF && jpeg[1] == 0xD8, "not a JPEG");
        using var image = Image.NewFromBuffer(jpeg);
        return (image.Width, image.Height);
    }

    [Theory]
    [InlineData("b-mapillary-tools/DSC00001.JPG", PictureKind.Flat, 2048, 1152)]
    [InlineData("a-exif-samples-arezzo/DSCN0010.jpg", PictureKind.Flat, 640, 480)] // smaller than SD: not upscaled
    [InlineData("c-immich-formats/portrait-orientation-6.jpg", PictureKind.Flat, 840, 700)] // rotated upright
    [InlineData("f-360-gopro-max/GSAG2002.JPG", PictureKind.Equirectangular, 2048, 1024)]
    [InlineData("b-mapillary-tools/corrupt_exif.jpg", PictureKind.Flat, 16, 16)]
    public void Sd_is_2048_wide_or_original_size_and_thumbnail_is_exactly_500x300(string file, PictureKind kind, int sdWidth, int sdHeight)
    {
        using var sd = new MemoryStream();
        using var thumb = new MemoryStream();
        var (sdSize, thumbSize) = _renderer.WriteSdAndThumbnail(SharedData.Path(file), kind, sd, thumb);

        Assert.Equal((sdWidth, sdHeight), SizeOf(sd.ToArray()));
        Assert.Equal(new RenderedSize(sdWidth, sdHeight), sdSize);
        Assert.Equal((500, 300), SizeOf(thumb.ToArray()));
        Assert.Equal(new RenderedSize(500, 300), thumbSize);
    }

    [Fact]
    public void Sd_keeps_exif_and_xmp()
    {
        using var sd = new MemoryStream();
        using var thumb = new MemoryStream();
        _renderer.WriteSdAndThumbnail(SharedData.Path("f-360-gopro-max/GSAG2002.JPG"), PictureKind.Equirectangular, sd, thumb);

        sd.Position = 0;
        var read = new PictureMetadataReader().Read(sd);
        Assert.True(read.IsAccepted, read.Rejection?.Message);
        Assert.Equal(52.443412, read.Metadata.Latitude, 5);
        Assert.Equal(6.889934, read.Metadata.Longitude, 5);
        Assert.Equal(new DateTimeOffset(2020, 5, 9, 12, 16, 30, TimeSpan.Zero), read.Metadata.CapturedAt);
        Assert.Equal("GoPro Max", read.Metadata.CameraModel);
        Assert.Equal(PictureKind.Equirectangular, read.Metadata.Kind);
        Assert.Equal((2048, 1024), (read.Metadata.Width, read.Metadata.Height));
    }

    [Fact]
    public void Sd_of_a_rotated_picture_is_upright_and_says_so()
    {
        using var sd = new MemoryStream();
        using var thumb = new MemoryStream();
        _renderer.WriteSdAndThumbnail(SharedData.Path("a-exif-samples-arezzo/landscape_6.jpg"), PictureKind.Flat, sd, thumb);
        using var image = Image.NewFromBuffer(sd.ToArray());
        Assert.Equal((600, 450), (image.Width, image.Height));
        Assert.True(!image.Contains("orientation") || (int)image.Get("orientation") == 1);
    }

    [Fact]
    public void Sd_and_thumbnail_can_be_made_from_a_stream()
    {
        using var source = File.OpenRead(SharedData.Path("b-mapillary-tools/DSC00001.JPG"));
        using var sd = new MemoryStream();
        using var thumb = new MemoryStream();
        _renderer.WriteSdAndThumbnail(source, PictureKind.Flat, sd, thumb);
        Assert.Equal((2048, 1152), SizeOf(sd.ToArray()));
        Assert.Equal((500, 300), SizeOf(thumb.ToArray()));
    }

    [Fact]
    public void Gopro_max_panorama_gives_8x4_tiles_of_720px_named_col_row()
    {
        var path = SharedData.Path("f-360-gopro-max/GSAG2002.JPG");
        Assert.Equal(new TileGrid(8, 4, 720, 720), DerivativeRenderer.TileGridForFile(path));

        var tiles = _renderer.RenderTiles(path).ToList();

        Assert.Equal(32, tiles.Count);
        var expectedNames = from row in Enumerable.Range(0, 4) from col in Enumerable.Range(0, 8) select $"{col}_{row}";
        Assert.Equal(expectedNames, tiles.Select(t => t.Name));
        Assert.All(tiles, t => Assert.Equal((720, 720), SizeOf(t.Jpeg.ToArray())));
    }

    [Fact]
    public async Task Tiles_are_handed_to_the_store_callback_one_by_one()
    {
        var path = SharedData.Path("f-360-gopro-max/GSAG2002.JPG");
        var stored = new List<string>();
        var grid = await _renderer.WriteTilesAsync(path, (tile, _) =>
        {
            stored.Add(tile.Name);
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.Equal(grid.Cols * grid.Rows, stored.Count);
        Assert.Equal("0_0", stored[0]);
        Assert.Equal("7_3", stored[^1]);
    }

    [Fact]
    public void Tiles_can_be_rendered_from_a_stream()
    {
        using var source = File.OpenRead(SharedData.Path("f-360-gopro-max/GSAG2002.JPG"));
        var first = _renderer.RenderTiles(source).First();
        Assert.Equal("0_0", first.Name);
        Assert.Equal((720, 720), SizeOf(first.Jpeg.ToArray()));
    }

    [Theory]
    [InlineData(4400, 2200)] // square 550 px tiles: libvips' tiler
    [InlineData(4400, 2300)] // 550×575 tiles: strips cut here, each ending mid-block of the sequential JPEG decoder
    public void Tiles_match_the_source_pixels_whatever_the_tile_size(int width, int height)
    {
        var dir = Directory.CreateTempSubdirectory("panoramax-tiles-").FullName;
        try
        {
            var path = Path.Combine(dir, "pano.jpg");
            using (var gopro = Image.NewFromFile(SharedData.Path("f-360-gopro-max/GSAG2002.JPG")))
            using (var resized = gopro.Resize(width / 5760.0, vscale: height / 2880.0))
            {
                resized.Jpegsave(path, q: 95);
            }

            var tiles = _renderer.RenderTiles(path).ToList();

            Assert.Equal(32, tiles.Count);
            using var source = Image.NewFromFile(path);
            foreach (var tile in tiles.Where(t => t.Col == 3))
            {
                using var decoded = Image.NewFromBuffer(tile.Jpeg.ToArray());
                var th = height / 4;
                Assert.Equal((550, th), (decoded.Width, decoded.Height));
                using var expected = source.ExtractArea(3 * 550, tile.Row * th, 550, th);
                using var diff = (decoded - expected).Abs();
                Assert.True(diff.Avg() < 3, $"tile {tile.Name} differs from the source by {diff.Avg()}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Tile_work_files_are_removed_even_when_the_caller_stops_early()
    {
        var temp = Directory.CreateTempSubdirectory("panoramax-tiletemp-").FullName;
        try
        {
            var renderer = new DerivativeRenderer(temp);
            Assert.Equal("0_0", renderer.RenderTiles(SharedData.Path("f-360-gopro-max/GSAG2002.JPG")).First().Name);
            Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [Fact]
    public void Truncated_source_fails_rendering_instead_of_publishing_grey_pixels()
    {
        using var sd = new MemoryStream();
        using var thumb = new MemoryStream();
        Assert.ThrowsAny<VipsException>(() =>
            _renderer.WriteSdAndThumbnail(SharedData.Path("h-bad-files/DSCN0010_truncated_50pct.jpg"), PictureKind.Flat, sd, thumb));
    }

    [Theory]
    [InlineData(5760, 2880, 8, 4, 720, 720)]
    [InlineData(10240, 5120, 16, 8, 640, 640)]
    [InlineData(14142, 7071, 16, 8, 883, 883)]
    [InlineData(40000, 20000, 64, 32, 625, 625)]
    [InlineData(4096, 2048, 8, 4, 512, 512)]
    [InlineData(4000, 2000, 4, 2, 1000, 1000)]
    [InlineData(32, 28, 4, 2, 8, 14)]
    public void Tile_grid_uses_the_most_columns_with_tiles_of_at_least_512px(int width, int height, int cols, int rows, int tileWidth, int tileHeight) =>
        Assert.Equal(new TileGrid(cols, rows, tileWidth, tileHeight), TileGrid.For(width, height));
}
