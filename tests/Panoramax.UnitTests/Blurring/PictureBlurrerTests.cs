using NetVips;
using Panoramax.Blurring;
using Panoramax.Blurring.Detection;
using Panoramax.Blurring.Evaluation;

namespace Panoramax.UnitTests.Blurring;

public sealed class PictureBlurrerTests(BlurrerFixture fixture) : IClassFixture<BlurrerFixture>
{
    // A blurred region keeps well under a fifth of its original fine detail; measured values are far lower.
    private const double MaxDetailLeft = 0.2;

    // Outside the blurred regions only JPEG re-encoding (q 92) may change pixels.
    private const double MaxOutsideChange = 2.0;

    private readonly PictureBlurrer _blurrer = fixture.Blurrer;

    [Theory]
    [InlineData("2007_007763.jpg")]
    [InlineData("2008_002079.jpg")]
    [InlineData("2008_001009.jpg")]
    [InlineData("2008_001322.jpg")]
    public async Task Every_annotated_face_is_blurred_and_the_rest_is_nearly_unchanged(string file)
    {
        var picture = GroundTruth.ReadDlibXml(Shared.Data("e-faces-dlib", "training.xml")).Single(p => Path.GetFileName(p.Path) == file);

        var (result, blurred) = await BlurFileAsync(picture.Path, false);

        AssertBlurred(picture.Path, blurred, picture.Objects.Select(o => o.Box), result);
    }

    [Theory]
    [InlineData("eu1")]
    [InlineData("eu3")]
    [InlineData("eu7")] // 2048×1536: found through the tiles
    [InlineData("test_001")]
    public async Task Every_annotated_plate_is_blurred_and_the_rest_is_nearly_unchanged(string name)
    {
        var picture = GroundTruth.ReadOpenAlpr(Shared.Data("d-plates-eu", name + ".txt"));

        var (result, blurred) = await BlurFileAsync(picture.Path, false);

        AssertBlurred(picture.Path, blurred, picture.Objects.Select(o => o.Box), result);
    }

    [Fact]
    public async Task The_pedestrian_of_the_sgblur_fixture_is_blurred_and_its_metadata_kept()
    {
        var path = Shared.Data("g-sgblur-fixture", "flat_urban_with_face_and_sign_small.jpg");

        var (result, blurred) = await BlurFileAsync(path, false);

        // The fixture's face (about 448,130–468,158 with the hat) is already soft in the source and only 16 px wide,
        // so JPEG block noise is a bigger share of what is left: a looser ratio, on the face itself.
        AssertBlurred(path, blurred, [new PixelBox(451, 136, 467, 156)], result, maxDetailLeft: 0.3);
        using var output = Image.NewFromBuffer(blurred);
        Assert.Equal((512, 384), (output.Width, output.Height));
        Assert.Contains("exif-data", output.GetFields());
        Assert.Contains("exif-ifd3-GPSLatitude", output.GetFields());
        Assert.Contains("exif-ifd0-Make", output.GetFields());
        // The source embeds a 51 kB unblurred EXIF preview; it must not survive.
        Assert.DoesNotContain("jpeg-thumbnail-data", output.GetFields());
        Assert.DoesNotContain(output.GetFields(), f => f.StartsWith("exif-ifd1-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Boxes_apply_to_the_upright_pixels_of_an_exif_rotated_picture()
    {
        var (upright, _) = await BlurFileAsync(Shared.Data("c-immich-formats", "portrait.jpg"), false);
        var (rotated, blurred) = await BlurFileAsync(Shared.Data("c-immich-formats", "portrait-orientation-6.jpg"), false);

        using var output = Image.NewFromBuffer(blurred);
        Assert.Equal((840, 700), (output.Width, output.Height));
        Assert.True(!output.GetFields().Contains("orientation") || (int)output.Get("orientation") == 1);
        var uprightFaces = upright.Detections.Where(d => d.Class == DetectionClasses.Face).ToList();
        var rotatedFaces = rotated.Detections.Where(d => d.Class == DetectionClasses.Face).ToList();
        Assert.NotEmpty(rotatedFaces);
        Assert.Equal(uprightFaces.Count, rotatedFaces.Count);
        Assert.All(rotatedFaces, r => Assert.Contains(uprightFaces, u => u.Box.IoU(r.Box) > 0.8));
        // The written pixels are blurred where the boxes say, in the upright frame.
        var before = GreyPixels.FromFile(Shared.Data("c-immich-formats", "portrait.jpg"));
        var after = GreyPixels.FromJpeg(blurred);
        Assert.All(rotatedFaces, f => Assert.True(after.LaplacianEnergy(f.Box) < MaxDetailLeft * before.LaplacianEnergy(f.Box)));
    }

    [Fact]
    public async Task A_face_cut_by_the_seam_of_a_360_picture_is_blurred_on_both_sides()
    {
        // A real face (dlib 2008_001009, the upper one) pasted across the seam of a 2:1 canvas made from the GoPro pano.
        const int w = 1664, h = 832, fx = 125, fy = 60, fw = 116, fh = 116;
        byte[] jpeg;
        using (var pano = Image.Thumbnail(Shared.Data("f-360-gopro-max", "GSAG2002.JPG"), w, h, size: Enums.Size.Force))
        using (var faces = Image.NewFromFile(Shared.Data("e-faces-dlib", "2008_001009.jpg")))
        using (var face = faces.Crop(fx, fy, fw, fh))
        using (var rightHalf = face.Crop(0, 0, face.Width / 2, face.Height))
        using (var leftHalf = face.Crop(face.Width / 2, 0, face.Width - (face.Width / 2), face.Height))
        using (var withRight = pano.Insert(rightHalf, w - rightHalf.Width, 400))
        using (var canvas = withRight.Insert(leftHalf, 0, 400))
        {
            jpeg = canvas.JpegsaveBuffer(q: 95);
        }
        var faceRightPart = new PixelBox(w - (fw / 2), 400, w, 400 + fh);
        var faceLeftPart = new PixelBox(0, 400, fw - (fw / 2), 400 + fh);

        using var output = new MemoryStream();
        var result = await _blurrer.BlurAsync(new MemoryStream(jpeg), output, isEquirectangular: true);

        var before = GreyPixels.FromJpeg(jpeg);
        var after = GreyPixels.FromJpeg(output.ToArray());
        var faceBoxes = result.Detections.Where(d => d.Class == DetectionClasses.Face).Select(d => d.Box).ToList();
        Assert.Contains(faceBoxes, b => b.X2 >= w - 1 && b.Y1 < 500 && b.Y2 > 450);
        Assert.Contains(faceBoxes, b => b.X1 <= 1 && b.Y1 < 500 && b.Y2 > 450);
        Assert.All(result.Detections, d => Assert.True(d.Box.X1 >= 0 && d.Box.X2 <= w));
        foreach (var part in new[] { faceRightPart, faceLeftPart })
        {
            var inner = part.Grow(-0.2);
            Assert.True(after.LaplacianEnergy(inner) < MaxDetailLeft * before.LaplacianEnergy(inner),
                $"{part}: detail {after.LaplacianEnergy(inner):F2} after vs {before.LaplacianEnergy(inner):F2} before");
        }
    }

    [Fact]
    public async Task A_region_a_person_asks_to_hide_is_blurred_even_from_a_non_seekable_stream()
    {
        var path = Shared.Data("a-exif-samples-arezzo", "DSCN0010.jpg");
        var region = new PixelBox(100, 100, 260, 220);
        using var output = new MemoryStream();

        await using (var input = new NonSeekableStream(File.OpenRead(path)))
        {
            await _blurrer.BlurAsync(input, output, false, [region]);
        }

        var before = GreyPixels.FromFile(path);
        var after = GreyPixels.FromJpeg(output.ToArray());
        Assert.True(after.LaplacianEnergy(region) < MaxDetailLeft * before.LaplacianEnergy(region));
    }

    [Fact]
    public async Task A_missing_model_folder_makes_blurring_unavailable_with_the_folder_named()
    {
        var missing = Path.Combine(Path.GetTempPath(), "panoramax-no-models-" + Guid.NewGuid().ToString("N"));
        using var blurrer = new PictureBlurrer(new BlurringOptions { ModelDirectory = missing });

        var ex = await Assert.ThrowsAsync<BlurringUnavailableException>(() =>
            blurrer.BlurAsync(File.OpenRead(Shared.Data("e-faces-dlib", "2008_001009.jpg")), new MemoryStream(), false));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_model_file_makes_blurring_unavailable_with_the_file_named()
    {
        var empty = Directory.CreateTempSubdirectory("panoramax-empty-models-");
        try
        {
            using var blurrer = new PictureBlurrer(new BlurringOptions { ModelDirectory = empty.FullName });

            var ex = await Assert.ThrowsAsync<BlurringUnavailableException>(() =>
                blurrer.BlurAsync(new MemoryStream([0xFF, 0xD8]), new MemoryStream(), false));

            Assert.Contains("yunet_n_dynamic.onnx", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(true);
        }
    }

    [Fact]
    public async Task A_corrupt_model_file_makes_blurring_unavailable_with_the_file_named()
    {
        var dir = Directory.CreateTempSubdirectory("panoramax-bad-models-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "yunet_n_dynamic.onnx"), "not a model");
            using var blurrer = new PictureBlurrer(new BlurringOptions { ModelDirectory = dir.FullName });

            var ex = Assert.Throws<BlurringUnavailableException>(blurrer.EnsureAvailable);

            Assert.Contains("yunet_n_dynamic.onnx", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Theory]
    [InlineData("h-bad-files", "DSCN0010_truncated_50pct.jpg")]
    [InlineData("h-bad-files", "text_renamed.jpg")]
    public async Task A_broken_picture_is_an_image_error_not_a_half_grey_output(string folder, string file)
    {
        using var output = new MemoryStream();

        await Assert.ThrowsAsync<VipsException>(() => _blurrer.BlurAsync(File.OpenRead(Shared.Data(folder, file)), output, false));

        Assert.Equal(0, output.Length);
    }

    private async Task<(BlurResult Result, byte[] Jpeg)> BlurFileAsync(string path, bool equirectangular)
    {
        await using var input = File.OpenRead(path);
        using var output = new MemoryStream();
        var result = await _blurrer.BlurAsync(input, output, equirectangular);
        return (result, output.ToArray());
    }

    private void AssertBlurred(string originalPath, byte[] blurred, IEnumerable<PixelBox> truth, BlurResult result, double maxDetailLeft = MaxDetailLeft)
    {
        var before = GreyPixels.FromFile(originalPath);
        var after = GreyPixels.FromJpeg(blurred);
        Assert.Equal((before.Width, before.Height), (after.Width, after.Height));
        foreach (var box in truth)
        {
            var detailBefore = before.LaplacianEnergy(box);
            var detailAfter = after.LaplacianEnergy(box);
            Assert.True(detailAfter < maxDetailLeft * detailBefore, $"{box}: detail {detailAfter:F2} after vs {detailBefore:F2} before");
            Assert.True(after.Variance(box) < before.Variance(box), $"{box}: variance did not drop");
        }
        var grown = result.Detections.Select(d => RegionBlurrer.RegionOf(d, _blurrer.Options.Margin)).ToList();
        var outside = before.MeanAbsDiffOutside(after, grown);
        Assert.True(outside < MaxOutsideChange, $"mean change outside blurred regions {outside:F2}");
    }

    /// <summary>Like a request body: forward-only, so the blurrer must buffer it itself.</summary>
    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
