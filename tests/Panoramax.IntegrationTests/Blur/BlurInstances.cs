using System.Net.Http.Headers;
using NetVips;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Blur;

/// <summary>An instance whose blurring uses the shared ONNX models.</summary>
public sealed class BlurInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Blurring:ModelDirectory", Path.Combine(TestPaths.Shared, "models")),
        // Small enough that an oversized picture is cheap to send.
        new("Panoramax:Blurring:MaxUploadBytes", (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Panoramax:Blurring:MaxPixels", "4000000"),
        new("Panoramax:Blurring:QueueTimeout", "00:00:00.5"),
    ];
}

/// <summary>An instance pointed at a folder without models: it must start and answer 503 on /blur/.</summary>
public sealed class NoModelsInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Blurring:ModelDirectory", Path.Combine(DataDirectory, "no-models-here")),
    ];
}

/// <summary>
/// Two real hosts: <see cref="Upstream"/> blurs with the models, the other (this fixture) is configured with
/// <c>Panoramax:Blurring:RemoteUrl</c> pointing at it and has no models at all.
/// </summary>
public sealed class RemoteBlurPair : TestInstance, IAsyncLifetime
{
    public BlurInstance Upstream { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Blurring:RemoteUrl", Upstream.BaseUrl.ToString()),
        new("Panoramax:Blurring:ModelDirectory", Path.Combine(DataDirectory, "no-models-here")),
        new("Panoramax:Blurring:RemoteTimeout", "00:01:00"),
    ];

    public override async Task InitializeAsync()
    {
        await Upstream.InitializeAsync();
        await base.InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

internal static class BlurRequests
{
    public static string FlatWithFaceAndSign => TestPaths.SharedData("g-sgblur-fixture", "flat_urban_with_face_and_sign_small.jpg");

    public static string Faces => TestPaths.SharedData("e-faces-dlib", "2008_001322.jpg");

    public static MultipartFormDataContent Picture(byte[] bytes, string part = "picture", string contentType = "image/jpeg")
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(content, part, "picture.jpg");
        return form;
    }

    /// <summary>Mean absolute difference of two same-sized pictures inside a box (all bands).</summary>
    public static double MeanDifference(byte[] a, byte[] b, int x1, int y1, int x2, int y2)
    {
        using var imageA = Image.NewFromBuffer(a);
        using var imageB = Image.NewFromBuffer(b);
        var w = Math.Max(1, x2 - x1);
        var h = Math.Max(1, y2 - y1);
        using var cropA = imageA.Crop(x1, y1, w, h);
        using var cropB = imageB.Crop(x1, y1, w, h);
        using var diff = (cropA - cropB).Abs();
        return diff.Avg();
    }
}
