using NetVips;
using Panoramax.Server.Blur;
using Panoramax.UnitTests.Blurring;

namespace Panoramax.UnitTests.Blur;

/// <summary>/blur/ tiles 360° panoramas across their seam: it must recognise them from the header alone.</summary>
public sealed class PanoramaDetectionTests
{
    [Theory]
    [InlineData("f-360-gopro-max", "GSAG2002.JPG", true)]
    [InlineData("g-sgblur-fixture", "flat_urban_with_face_and_sign_small.jpg", false)]
    [InlineData("a-exif-samples-arezzo", "DSCN0010.jpg", false)]
    public void Equirectangular_pictures_are_recognised_from_their_xmp(string folder, string file, bool expected)
    {
        using var header = Image.NewFromFile(Shared.Data(folder, file), access: Enums.Access.Sequential);

        Assert.Equal(expected, BlurEndpoints.IsEquirectangular(header));
    }
}
