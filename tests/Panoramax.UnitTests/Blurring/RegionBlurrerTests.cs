using Panoramax.Blurring;
using Panoramax.Blurring.Detection;

namespace Panoramax.UnitTests.Blurring;

public sealed class RegionBlurrerTests
{
    [Fact]
    public void Hidden_regions_lose_their_detail_margin_included_and_the_rest_is_nearly_unchanged()
    {
        var path = Shared.Data("b-mapillary-tools", "DSC00001.JPG");
        var box = new PixelBox(880, 1280, 1480, 1580);
        using var output = new MemoryStream();
        using (var input = File.OpenRead(path))
        {
            RegionBlurrer.HideRegions(input, output, [box], margin: 0.15, jpegQuality: 92);
        }

        var before = GreyPixels.FromFile(path);
        var after = GreyPixels.FromJpeg(output.ToArray());
        Assert.Equal((before.Width, before.Height), (after.Width, after.Height));
        var grown = box.Grow(0.15);
        // The margin ring is hidden too (a box drawn by hand is rarely generous enough).
        Assert.True(after.LaplacianEnergy(grown) < 0.2 * before.LaplacianEnergy(grown), "region kept its detail");
        Assert.True(after.Variance(box) < before.Variance(box), "variance did not drop");
        Assert.True(before.MeanAbsDiffOutside(after, [grown]) < 2.0, "pixels outside the region changed");
    }
}
