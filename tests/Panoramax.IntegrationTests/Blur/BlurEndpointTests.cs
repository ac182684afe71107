using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using NetVips;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Server.Blur;

namespace Panoramax.IntegrationTests.Blur;

/// <summary><c>POST /blur/</c> answers like Panoramax's blurring API (issue 8 §5), with real models and real pictures.</summary>
public sealed class BlurEndpointTests(BlurInstance instance) : IClassFixture<BlurInstance>
{
    [Theory]
    [InlineData("g-sgblur-fixture", "flat_urban_with_face_and_sign_small.jpg")]
    [InlineData("e-faces-dlib", "2008_001322.jpg")]
    public async Task Blurred_picture_keeps_its_size_and_changes_inside_every_detection(string folder, string file)
    {
        var original = await File.ReadAllBytesAsync(TestPaths.SharedData(folder, file));
        using var form = BlurRequests.Picture(original);
        using var response = await instance.Http.PostAsync("/blur/", form);

        var blurred = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(blurred));
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        using (var before = Image.NewFromBuffer(original))
        using (var after = Image.NewFromBuffer(blurred))
        {
            Assert.Equal((before.Width, before.Height), (after.Width, after.Height));
        }

        var metadata = JsonDocument.Parse(response.Headers.GetValues("x-sgblur").Single()).RootElement;
        Assert.Equal("Panoramax C# blur", metadata.GetProperty("service_name").GetString());
        var annotations = metadata.GetProperty("annotations").EnumerateArray().ToList();
        Assert.NotEmpty(annotations);
        foreach (var annotation in annotations)
        {
            var s = annotation.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var tags = annotation.GetProperty("semantics").EnumerateArray()
                .ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("value").GetString()!);
            var cls = tags["panoramax:blurred"];
            Assert.Contains(cls, new[] { "face", "plate" });
            Assert.EndsWith(".onnx", tags[$"detection_model[panoramax:blurred={cls}]"], StringComparison.Ordinal);
            Assert.InRange(double.Parse(tags[$"detection_confidence[panoramax:blurred={cls}]"], System.Globalization.CultureInfo.InvariantCulture), 0.05, 1);
            var difference = BlurRequests.MeanDifference(original, blurred, s[0], s[1], s[2], s[3]);
            Assert.True(difference > 4, $"box {string.Join(",", s)} barely changed (mean difference {difference:F2})");
        }
        // Outside the boxes only JPEG re-encoding noise: check the top-left corner, far from any detection.
        Assert.True(BlurRequests.MeanDifference(original, blurred, 0, 0, 40, 40) < 4);
    }

    [Fact]
    public async Task The_face_of_the_sgblur_fixture_is_reported_where_it_is()
    {
        using var form = BlurRequests.Picture(await File.ReadAllBytesAsync(BlurRequests.FlatWithFaceAndSign));
        using var response = await instance.Http.PostAsync("/blur/", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var annotations = JsonDocument.Parse(response.Headers.GetValues("x-sgblur").Single()).RootElement.GetProperty("annotations").EnumerateArray();
        // The manifest places the pedestrian's face at about (448,130)-(468,158).
        Assert.Contains(annotations, a =>
        {
            var s = a.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            return s[0] <= 462 && s[2] >= 454 && s[1] <= 148 && s[3] >= 140
                && a.GetProperty("semantics").EnumerateArray().Any(t => t.GetProperty("value").GetString() == "face");
        });
    }

    [Theory]
    [InlineData("/blur/?keep=1")]
    [InlineData("/blur")]
    public async Task Multipart_answer_has_the_image_and_metadata_parts_when_asked(string path)
    {
        var original = await File.ReadAllBytesAsync(BlurRequests.Faces);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = BlurRequests.Picture(original) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("multipart/form-data"));
        using var response = await instance.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("multipart/form-data", response.Content.Headers.ContentType?.MediaType);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, await response.Content.ReadAsStreamAsync());
        var parts = new Dictionary<string, (string? Type, byte[] Body)>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var body = new MemoryStream();
            await section.Body.CopyToAsync(body);
            parts[section.GetContentDispositionHeader()!.Name.Value!.Trim('"')] = (section.ContentType, body.ToArray());
        }

        Assert.Equal(["image", "metadata"], parts.Keys.Order());
        Assert.StartsWith("image/jpeg", parts["image"].Type, StringComparison.Ordinal);
        Assert.StartsWith("application/json", parts["metadata"].Type, StringComparison.Ordinal);
        using (var blurred = Image.NewFromBuffer(parts["image"].Body))
        using (var before = Image.NewFromBuffer(original))
        {
            Assert.Equal((before.Width, before.Height), (blurred.Width, blurred.Height));
        }
        var metadata = JsonDocument.Parse(parts["metadata"].Body).RootElement;
        Assert.Equal("Panoramax C# blur", metadata.GetProperty("service_name").GetString());
        Assert.NotEmpty(metadata.GetProperty("annotations").EnumerateArray());
    }

    [Theory]
    [InlineData("h-bad-files/text_renamed.jpg", 400, "not a picture")]
    [InlineData("h-bad-files/DSCN0010_truncated_50pct.jpg", 400, "truncated")]
    [InlineData("h-bad-files/empty.jpg", 400, "empty")]
    public async Task Bad_pictures_are_refused_with_a_reason(string file, int status, string reason)
    {
        using var form = BlurRequests.Picture(await File.ReadAllBytesAsync(TestPaths.SharedData(file.Split('/'))));
        using var response = await instance.Http.PostAsync("/blur/", form);

        await AssertErrorAsync(response, status, reason);
    }

    [Fact]
    public async Task A_body_without_a_picture_part_is_refused()
    {
        using var form = BlurRequests.Picture(await File.ReadAllBytesAsync(BlurRequests.Faces), part: "image");
        using var response = await instance.Http.PostAsync("/blur/", form);

        await AssertErrorAsync(response, 400, "'picture'");
    }

    [Fact]
    public async Task A_json_body_is_refused_as_unsupported_media_type()
    {
        using var body = new StringContent("""{"picture": "aGVsbG8="}""", Encoding.UTF8, "application/json");
        using var response = await instance.Http.PostAsync("/blur/", body);

        await AssertErrorAsync(response, 415, "multipart/form-data");
    }

    [Fact]
    public async Task A_picture_over_the_upload_limit_is_refused_as_too_large()
    {
        // 3 MB against the 2 MB configured for this instance.
        var big = new byte[3 * 1024 * 1024];
        new Random(8).NextBytes(big);
        using var form = BlurRequests.Picture(big);
        using var response = await instance.Http.PostAsync("/blur/", form);

        await AssertErrorAsync(response, 413, "MB at most");
    }

    [Fact]
    public async Task A_picture_with_too_many_pixels_is_refused_before_decoding()
    {
        // 3000 × 2000 = 6 MP against the 4 MP configured; a flat picture compresses to a few kB.
        using var flat = Image.Black(3000, 2000, bands: 3);
        var jpeg = flat.JpegsaveBuffer(q: 50);
        using var form = BlurRequests.Picture(jpeg);
        using var response = await instance.Http.PostAsync("/blur/", form);

        await AssertErrorAsync(response, 413, "megapixels");
    }

    [Fact]
    public async Task A_busy_service_answers_503_with_retry_after()
    {
        // Take the only slot (MaxConcurrentJobs defaults to 1) as a long blur would.
        var gate = instance.Services.GetRequiredService<BlurJobGate>();
        using (var slot = await gate.EnterAsync(CancellationToken.None))
        {
            Assert.NotNull(slot);
            using var form = BlurRequests.Picture(await File.ReadAllBytesAsync(BlurRequests.Faces));
            using var response = await instance.Http.PostAsync("/blur/", form);

            Assert.NotNull(response.Headers.RetryAfter);
            await AssertErrorAsync(response, 503, "busy");
        }
        using var again = BlurRequests.Picture(await File.ReadAllBytesAsync(BlurRequests.Faces));
        using var afterwards = await instance.Http.PostAsync("/blur/", again);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    internal static async Task AssertErrorAsync(HttpResponseMessage response, int status, string reason)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, error.GetProperty("status_code").GetInt32());
        Assert.Contains(reason, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>An instance whose models are missing still starts; /blur/ says it is not configured.</summary>
public sealed class BlurWithoutModelsTests(NoModelsInstance instance) : IClassFixture<NoModelsInstance>
{
    [Fact]
    public async Task Blur_answers_503_saying_the_service_is_not_configured()
    {
        using var landing = await instance.Http.GetAsync("/api");
        Assert.Equal(HttpStatusCode.OK, landing.StatusCode);

        using var form = BlurRequests.Picture(await File.ReadAllBytesAsync(BlurRequests.Faces));
        using var response = await instance.Http.PostAsync("/blur/", form);

        await BlurEndpointTests.AssertErrorAsync(response, 503, "not configured");
    }
}
