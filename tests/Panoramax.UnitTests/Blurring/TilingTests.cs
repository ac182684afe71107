using Panoramax.Blurring.Detection;

namespace Panoramax.UnitTests.Blurring;

public sealed class TilingTests
{
    [Theory]
    [InlineData(4000, 3000, false)]
    [InlineData(5760, 2880, true)]
    [InlineData(1000, 750, false)]
    [InlineData(512, 384, false)]
    [InlineData(700, 350, true)]
    public void Tiles_cover_every_pixel_with_the_requested_overlap(int width, int height, bool wrap)
    {
        var tiles = TilePlanner.Plan(width, height, 832, 0.2, wrap);

        for (var y = 0; y < height; y += 37)
        {
            for (var x = 0; x < width; x += 37)
            {
                Assert.Contains(tiles, t => Covers(t, x, y, width));
            }
        }
        Assert.All(tiles, t => Assert.True(t.Y + t.Height <= height && (wrap || t.X + t.Width <= width)));
        // An object of 20 % of a tile anywhere is wholly inside one tile.
        var obj = Math.Min(166, Math.Min(width, height) / 2);
        for (var x = 0; x + obj <= width; x += 53)
        {
            Assert.Contains(tiles, t => t.X <= x && x + obj <= t.X + t.Width);
        }
    }

    [Fact]
    public void A_360_plan_has_a_tile_straddling_the_seam()
    {
        var tiles = TilePlanner.Plan(5760, 2880, 832, 0.2, wrap: true);

        Assert.Contains(tiles, t => t.X < 5760 && t.X + t.Width > 5760 + 100);
    }

    [Fact]
    public void Boxes_from_both_sides_of_the_seam_merge_into_one_crossing_box_then_split_back()
    {
        const int w = 5760;
        ObjectDetection[] found =
        [
            new(DetectionClasses.Face, 0.9f, new PixelBox(5720, 1000, 5800, 1090)), // from the seam tile
            new(DetectionClasses.Face, 0.95f, new PixelBox(0, 1002, 40, 1088)),     // the left-edge half, scoring higher
            new(DetectionClasses.Face, 0.7f, new PixelBox(5721, 1001, 5760, 1089)), // the right-edge half
        ];

        var merged = BoxMerger.Merge(found, 0.3, wrapWidth: w);
        var split = merged.SelectMany(d => BoxMerger.SplitAtSeam(d, w)).ToList();

        var one = Assert.Single(merged);
        Assert.Equal(0.95f, one.Confidence);
        Assert.Equal(2, split.Count);
        Assert.Contains(split, d => d.Box.X1 <= 5720 && d.Box.X2 == w);
        Assert.Contains(split, d => d.Box.X1 == 0 && d.Box.X2 >= 40);
    }

    [Fact]
    public void A_partial_box_absorbed_by_merging_widens_the_kept_box()
    {
        ObjectDetection[] found =
        [
            new(DetectionClasses.Plate, 0.9f, new PixelBox(100, 100, 160, 120)),  // cut by a tile edge
            new(DetectionClasses.Plate, 0.6f, new PixelBox(100, 100, 220, 122)),  // whole plate from the next tile
            new(DetectionClasses.Face, 0.8f, new PixelBox(100, 100, 160, 120)),   // other class: kept apart
        ];

        var merged = BoxMerger.Merge(found, 0.3);

        Assert.Equal(2, merged.Count);
        var plate = merged.Single(d => d.Class == DetectionClasses.Plate);
        Assert.Equal(new PixelBox(100, 100, 220, 122), plate.Box);
    }

    private static bool Covers(Tile t, int x, int y, int width) =>
        y >= t.Y && y < t.Y + t.Height &&
        ((x >= t.X && x < t.X + t.Width) || (x + width >= t.X && x + width < t.X + t.Width));
}
