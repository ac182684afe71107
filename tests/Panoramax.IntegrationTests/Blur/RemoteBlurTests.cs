using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Blurring;
using Panoramax.Blurring.Remote;

namespace Panoramax.IntegrationTests.Blur;

/// <summary>
/// An instance configured with <c>Panoramax:Blurring:RemoteUrl</c> blurs through another real instance's
/// <c>/blur/</c> (real HTTP between two hosts), and gets what that instance answers.
/// </summary>
public sealed class RemoteBlurTests(RemoteBlurPair pair) : IClassFixture<RemoteBlurPair>
{
    [Fact]
    public async Task Remote_blurring_gives_what_the_remote_instance_answers()
    {
        var original = await File.ReadAllBytesAsync(BlurRequests.FlatWithFaceAndSign);
        using var form = BlurRequests.Picture(original);
        using var direct = await pair.Upstream.Http.PostAsync("/blur/", form);
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        var expected = await direct.Content.ReadAsByteArrayAsync();
        var expectedDetections = BlurMetadata.TryParseDetections(direct.Headers.GetValues("x-sgblur").Single())!;

        await using var scope = pair.Services.CreateAsyncScope();
        var blurrer = scope.ServiceProvider.GetRequiredService<IPictureBlurrer>();
        Assert.IsType<RemoteBlurClient>(blurrer);
        using var input = new MemoryStream(original);
        using var output = new MemoryStream();
        var result = await blurrer.BlurAsync(input, output, isEquirectangular: false);

        Assert.Equal((512, 384), (result.Width, result.Height));
        Assert.NotEmpty(result.Detections);
        Assert.Equal(
            expectedDetections.Select(d => (d.Class, Box: d.Box.ToString())).Order(),
            result.Detections.Select(d => (d.Class, Box: d.Box.ToString())).Order());
        // Same models, same code: the same picture, up to nothing more than JPEG noise.
        Assert.True(BlurRequests.MeanDifference(expected, output.ToArray(), 0, 0, 512, 384) < 1);
    }

    [Fact]
    public async Task A_busy_remote_service_is_retried_until_it_answers()
    {
        // The upstream's only slot is taken for 1.2 s; its queue timeout is 0.5 s, so the first call gets 503 + Retry-After.
        var gate = pair.Upstream.Services.GetRequiredService<Panoramax.Server.Blur.BlurJobGate>();
        var slot = await gate.EnterAsync(CancellationToken.None);
        Assert.NotNull(slot);
        var release = Task.Delay(1200).ContinueWith(_ => slot.Dispose(), TaskScheduler.Default);

        await using var scope = pair.Services.CreateAsyncScope();
        var blurrer = scope.ServiceProvider.GetRequiredService<IPictureBlurrer>();
        using var input = new MemoryStream(await File.ReadAllBytesAsync(BlurRequests.Faces));
        using var output = new MemoryStream();
        var result = await blurrer.BlurAsync(input, output, isEquirectangular: false);
        await release;

        Assert.NotEmpty(result.Detections);
        Assert.True(output.Length > 1000);
    }

    [Fact]
    public async Task The_instance_using_a_remote_service_serves_blur_through_it()
    {
        using var form = BlurRequests.Picture(await File.ReadAllBytesAsync(BlurRequests.Faces));
        using var response = await pair.Http.PostAsync("/blur/", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metadata = JsonDocument.Parse(response.Headers.GetValues("x-sgblur").Single()).RootElement;
        Assert.NotEmpty(metadata.GetProperty("annotations").EnumerateArray());
    }

    [Fact]
    public async Task A_bad_picture_sent_to_the_remote_service_fails_with_its_status()
    {
        await using var scope = pair.Services.CreateAsyncScope();
        var blurrer = scope.ServiceProvider.GetRequiredService<IPictureBlurrer>();
        using var input = new MemoryStream("not a picture at all"u8.ToArray());

        var error = await Assert.ThrowsAsync<RemoteBlurringException>(() => blurrer.BlurAsync(input, Stream.Null, false));

        Assert.Equal(400, error.StatusCode);
        Assert.Contains("not a picture", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unreachable_service_fails_with_a_retryable_exception()
    {
        // A port that was free a moment ago: nothing listens there.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var client = new RemoteBlurClient(http, new BlurringOptions { RemoteUrl = $"http://127.0.0.1:{port}" });
        using var input = new MemoryStream(await File.ReadAllBytesAsync(BlurRequests.Faces));

        var error = await Assert.ThrowsAsync<RemoteBlurringException>(() => client.BlurAsync(input, Stream.Null, false));

        Assert.Null(error.StatusCode);
        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
    }
}
