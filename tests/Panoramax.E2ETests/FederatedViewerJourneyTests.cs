using System.Collections.Concurrent;
using Microsoft.Playwright;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Pictures;
using Panoramax.FederationTests;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;

namespace Panoramax.E2ETests;

/// <summary>
/// Two real instances peered over gRPC: A holds a flat and a 360° sequence with their files (as <see cref="ViewerInstance"/>),
/// B holds only the metadata it copied from A's feed. Class fixture of <see cref="FederatedViewerJourneyTests"/>.
/// </summary>
public sealed class ViewerNetwork : IAsyncLifetime
{
    public FederatedInstance A { get; } = new("alpha");
    public FederatedInstance B { get; } = new("bravo");
    public Guid FlatSequence { get; private set; }
    public Guid SphereSequence { get; private set; }
    public IReadOnlyList<Guid> FlatPictures { get; private set; } = [];
    public IReadOnlyList<Guid> SpherePictures { get; private set; } = [];

    public async Task InitializeAsync()
    {
        await Task.WhenAll(A.InitializeAsync(), B.InitializeAsync());
        MapPicture[] flat =
        [
            new(11.885127, 43.467448, new DateTimeOffset(2008, 10, 22, 14, 28, 39, TimeSpan.Zero), 120, 640, 480),
            new(11.885395, 43.467157, new DateTimeOffset(2008, 10, 22, 14, 29, 49, TimeSpan.Zero), 250, 640, 480),
        ];
        var flatSeq = await MapSeed.SequenceAsync(A, A.AccountId, flat, PictureKind.Flat, "NIKON", "COOLPIX P6000",
            configure: (p, i) => ViewerInstance.WriteFiles(A, p, TestPaths.SharedData("a-exif-samples-arezzo", ViewerInstance.FlatFiles[i]), tiles: false));
        MapPicture[] sphere =
        [
            new(11.8862, 43.4670, new DateTimeOffset(2020, 5, 9, 12, 16, 30, TimeSpan.Zero), 0, 5760, 2880),
            new(11.8862, 43.46715, new DateTimeOffset(2020, 5, 9, 12, 16, 35, TimeSpan.Zero), 0, 5760, 2880),
        ];
        var sphereSeq = await MapSeed.SequenceAsync(A, A.AccountId, sphere, PictureKind.Equirectangular, "GoPro", "Max",
            configure: (p, _) => ViewerInstance.WriteFiles(A, p, TestPaths.SharedData("f-360-gopro-max", "GSAG2002.JPG"), tiles: true));
        (FlatSequence, FlatPictures) = (flatSeq.Sequence.Id, [.. flatSeq.Pictures.Select(p => p.Id)]);
        (SphereSequence, SpherePictures) = (sphereSeq.Sequence.Id, [.. sphereSeq.Pictures.Select(p => p.Id)]);
        // Published as every writer publishes: one change entry per record, which A's sealer signs into its feed.
        await A.AppendAsync([
            (EntityKind.Sequence, FlatSequence, ChangeOp.Upsert), (EntityKind.Sequence, SphereSequence, ChangeOp.Upsert),
            .. FlatPictures.Concat(SpherePictures).Select(id => (EntityKind.Picture, id, ChangeOp.Upsert))]);
        await Network.ConnectAsync(B, A);
        await Network.WaitUntilAsync(async () => (await B.SearchIdsAsync(FlatPictures.Concat(SpherePictures))).Count == 4,
            "B holds A's four pictures", seconds: 60);
    }

    public async Task DisposeAsync() => await Task.WhenAll(A.DisposeAsync(), B.DisposeAsync());
}

/// <summary>
/// The official viewer served by B shows pictures published on A (issue 10 §6: "files loaded from the origin"): the map
/// from B's tiles, a hover preview through B's own preview route (a redirect to A), a flat picture and a 360° panorama
/// whose files and tiles the browser loads from A. Screenshots go to artifacts/e2e/.
/// </summary>
public sealed class FederatedViewerJourneyTests(ViewerNetwork net) : IClassFixture<ViewerNetwork>
{
    private const float Timeout = 60_000;
    private static readonly string Artifacts = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    [Fact]
    public async Task B_viewer_shows_A_pictures_with_files_loaded_from_A()
    {
        Directory.CreateDirectory(Artifacts);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await ViewerJourneyTests.LaunchChromiumAsync(playwright);
        // Both instances listen on 127.0.0.1: the context reaches them and nothing else.
        await using var context = await ViewerJourneyTests.InstanceOnlyContextAsync(browser, net.B);
        var page = await context.NewPageAsync();
        var a = net.A.BaseUrl.GetLeftPart(UriPartial.Authority);
        var b = net.B.BaseUrl.GetLeftPart(UriPartial.Authority);
        var fromA = new ConcurrentBag<(string Path, int Status)>();
        var fromB = new ConcurrentBag<(string Path, int Status)>();
        page.Response += (_, r) =>
        {
            var url = new Uri(r.Url);
            var origin = url.GetLeftPart(UriPartial.Authority);
            if (origin == a)
            {
                fromA.Add((url.AbsolutePath, r.Status));
            }
            else if (origin == b)
            {
                fromB.Add((url.AbsolutePath, r.Status));
            }
        };
        var scriptErrors = new ConcurrentBag<string>();
        page.PageError += (_, e) => scriptErrors.Add(e.Split('\n')[0]);
        string Failures() => string.Join("\n", fromA.Select(r => $"A {r.Status} {r.Path}").Concat(fromB.Select(r => $"B {r.Status} {r.Path}"))
            .Where(l => l.Split(' ')[1].StartsWith('4') || l.Split(' ')[1].StartsWith('5')).Concat(scriptErrors));

        // 1. B's map draws A's sequences from B's tiles.
        await page.GotoAsync("/?map=17/43.4672/11.8857");
        await ViewerJourneyTests.WaitForSequencesAsync(page, [.. new[] { net.FlatSequence, net.SphereSequence }.Select(s => s.ToString()).Order(StringComparer.Ordinal)]);
        Assert.Contains(fromB, r => r.Path.EndsWith(".mvt", StringComparison.Ordinal) && r.Status == 200);

        // 2. Hovering a picture point shows its preview: B's item-preview route, which sends the browser to A's thumbnail.
        var hovered = net.FlatPictures[0];
        await HoverAsync(page, 11.885127, 43.467448, () => fromA.Any(r => r.Path == $"/api/pictures/{hovered}/thumb.jpg" && r.Status == 200),
            "the hover preview loads A's thumbnail", Failures);
        Assert.Contains(fromB, r => r.Path == $"/api/pictures/{hovered}/thumb.jpg" && r.Status == 302);
        await Assertions.Expect(page.Locator("img.pnx-map-thumb")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federated-1-hover.png") });

        // 3. A flat picture opens on B with its image from A.
        var flat = net.FlatPictures[1];
        await page.GotoAsync($"/?pic={flat}&seq={net.FlatSequence}");
        await WaitForPictureAsync(page, flat, Failures);
        Assert.Contains(fromA, r => (r.Path == $"/api/pictures/{flat}/sd.jpg" || r.Path == $"/api/pictures/{flat}/hd.jpg") && r.Status == 200);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federated-2-flat.png") });

        // 4. A 360° panorama opens on B with its tiles from A.
        var sphere = net.SpherePictures[0];
        await page.GotoAsync($"/?pic={sphere}&seq={net.SphereSequence}");
        await WaitForPictureAsync(page, sphere, Failures);
        await WaitForAsync(() => fromA.Any(r => r.Path.StartsWith($"/api/pictures/{sphere}/tiled/", StringComparison.Ordinal) && r.Status == 200),
            "the panorama's tiles load from A", page, Failures);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federated-3-sphere.png") });

        // Picture files never come from B itself (it has none), only its redirects do.
        Assert.DoesNotContain(fromB, r => r.Path.StartsWith("/api/pictures/", StringComparison.Ordinal) && r.Status != 302);
        Assert.True(fromA.All(r => r.Status < 400) && fromB.All(r => r.Status < 400), Failures());
    }

    /// <summary>
    /// Moves the mouse onto a map position (from a little away, in steps, as a hand does) until <paramref name="done"/>:
    /// the map ignores a pointer that arrived while it was still settling.
    /// </summary>
    private static async Task HoverAsync(IPage page, double lon, double lat, Func<bool> done, string what, Func<string> failures)
    {
        for (var attempt = 0; attempt < 20 && !done(); attempt++)
        {
            var point = await page.EvaluateAsync<double[]>("""
                ([lon, lat]) => {
                  const map = document.querySelector('pnx-viewer').map;
                  const p = map.project([lon, lat]);
                  const r = map.getCanvas().getBoundingClientRect();
                  return [r.left + p.x, r.top + p.y];
                }
                """, new[] { lon, lat });
            // From up-left: the first picture of the flat walk, whose line runs down-right (crossing it hovers the line instead).
            await page.Mouse.MoveAsync((float)point[0] - 40, (float)point[1] - 40);
            await page.Mouse.MoveAsync((float)point[0], (float)point[1], new MouseMoveOptions { Steps = 8 });
            await WaitForAsync(done, what, page, failures, milliseconds: 1_500, fail: false);
        }
        await WaitForAsync(done, what, page, failures);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, IPage page, Func<string> failures, float milliseconds = Timeout, bool fail = true)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(TimeProvider.System.TimestampFrequency * milliseconds / 1000);
        while (!condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                if (!fail)
                {
                    return;
                }
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federated-failure.png") });
                Assert.Fail($"Timed out waiting until {what}; failed requests and script errors:\n{failures()}");
            }
            await Task.Delay(100);
        }
    }

    private static Task WaitForPictureAsync(IPage page, Guid pictureId, Func<string> failures) =>
        ViewerJourneyTests.WaitForPictureAsync(page, pictureId.ToString(), Explained(failures));

    // Read when a wait fails, not before.
    private static IEnumerable<string> Explained(Func<string> failures)
    {
        yield return failures();
    }
}
