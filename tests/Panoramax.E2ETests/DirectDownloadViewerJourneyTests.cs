using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.E2ETests;

/// <summary>
/// An instance keeping its files in S3 (a real s3rver) with direct downloads on: public picture files are redirected to
/// presigned links on the store's public endpoint (<c>localhost</c>, while the instance talks to <c>127.0.0.1</c>).
/// Seeded like <see cref="ViewerInstance"/>; the files are then put into the bucket through the instance's own store.
/// </summary>
public sealed class DirectDownloadViewerInstance : TestInstance
{
    private readonly S3rverServer _s3 = new();

    public Guid FlatSequence { get; private set; }
    public Guid SphereSequence { get; private set; }
    public IReadOnlyList<Guid> FlatPictures { get; private set; } = [];
    public IReadOnlyList<Guid> SpherePictures { get; private set; } = [];
    public string StoreAuthority => $"localhost:{_s3.Port}";

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        .. _s3.StorageSettings("panoramax-viewer"),
        new("Panoramax:Storage:S3:DirectDownloads", "true"),
        new("Panoramax:Storage:S3:PublicEndpoint", $"http://{StoreAuthority}"),
    ];

    public override async Task InitializeAsync()
    {
        await _s3.InitializeAsync();
        await base.InitializeAsync();
        (FlatSequence, FlatPictures, SphereSequence, SpherePictures) = await ViewerInstance.SeedArezzoAsync(this);
        var folder = Path.Combine(DataDirectory, "storage");
        var store = Services.GetRequiredService<IBlobStore>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            await using var content = File.OpenRead(file);
            await store.PutAsync(Path.GetRelativePath(folder, file).Replace('\\', '/'), content, "image/jpeg", default);
        }
        // Nothing left where a filesystem store would look: every file the browser gets comes from the bucket.
        Directory.Delete(folder, recursive: true);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _s3.DisposeAsync();
    }
}

/// <summary>
/// The official viewer on an instance whose public files are direct downloads: a flat picture and a 360° panorama open
/// with their image and tiles loaded from the store, through the instance's redirects (CORS on both hops).
/// </summary>
public sealed class DirectDownloadViewerJourneyTests(DirectDownloadViewerInstance instance) : IClassFixture<DirectDownloadViewerInstance>
{
    private static readonly string Artifacts = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    [Fact]
    public async Task Pictures_open_with_their_files_loaded_from_the_store()
    {
        Directory.CreateDirectory(Artifacts);
        using var playwright = await Playwright.CreateAsync();
        // No request interception here (Playwright reports a routed request that was redirected with the final
        // response under the first URL): third-party hosts are made unresolvable instead, the instance and the store
        // stay reachable.
        await using var browser = await ViewerJourneyTests.LaunchChromiumAsync(playwright, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost");
        await using var context = await browser.NewContextAsync(ViewerJourneyTests.ContextOptions(instance));
        var page = await context.NewPageAsync();
        var ours = instance.BaseUrl.Authority;
        var fromUs = new ConcurrentBag<Seen>();
        var fromStore = new ConcurrentBag<Seen>();
        page.Response += (_, r) =>
        {
            var url = new Uri(r.Url);
            (url.Authority == ours ? fromUs : url.Authority == instance.StoreAuthority ? fromStore : null)?.Add(new(r.Request.Method, url.AbsolutePath, r.Status));
        };
        // Script errors are kept to explain a failure only: the viewer's third-party calls (geocoding, presets) fail here.
        var scriptErrors = new ConcurrentBag<string>();
        page.PageError += (_, e) => scriptErrors.Add(e.Split('\n')[0]);
        IEnumerable<string> Errors() => fromUs.Where(r => r.Status >= 400).Select(r => $"instance {r}").Concat(fromStore.Where(r => r.Status >= 400).Select(r => $"store {r}"));
        IEnumerable<string> Failures()
        {
            foreach (var line in Errors().Concat(scriptErrors))
            {
                yield return line;
            }
        }
        string All() => string.Join("\n", fromUs.Select(r => $"instance {r}").Concat(fromStore.Select(r => $"store {r}")));

        // A flat picture: the viewer asks the instance for its image, is sent to the store, and shows it.
        var flat = instance.FlatPictures[1];
        await page.GotoAsync($"/?pic={flat}&seq={instance.FlatSequence}");
        await ViewerJourneyTests.WaitForPictureAsync(page, flat.ToString(), Failures());
        var flatFolder = StorageKeys.Hd(flat)[..^"hd.jpg".Length];
        Assert.True(fromUs.Any(r => r is { Method: "GET", Status: 302 } && r.Path.StartsWith($"/api/pictures/{flat}/", StringComparison.Ordinal))
            && fromStore.Any(r => r is { Method: "GET", Status: 200 } && r.Path.StartsWith($"/panoramax-viewer/{flatFolder}", StringComparison.Ordinal)), All());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "direct-download-1-flat.png") });

        // A 360° panorama: its tiles too.
        var sphere = instance.SpherePictures[0];
        await page.GotoAsync($"/?pic={sphere}&seq={instance.SphereSequence}");
        await ViewerJourneyTests.WaitForPictureAsync(page, sphere.ToString(), Failures());
        var tiles = $"/panoramax-viewer/{StorageKeys.TilesPrefix(sphere)}";
        bool TilesLoaded() => fromStore.Any(r => r is { Method: "GET", Status: 200 } && r.Path.StartsWith(tiles, StringComparison.Ordinal));
        var deadline = TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * 60;
        while (!TilesLoaded() && TimeProvider.System.GetTimestamp() < deadline)
        {
            await Task.Delay(100);
        }
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "direct-download-2-sphere.png") });
        Assert.True(TilesLoaded(), $"the panorama's tiles should load from the store; seen:\n{All()}");

        // Public picture files never come through the instance, only its redirects (and CORS preflights) do; nothing
        // failed on either host.
        Assert.DoesNotContain(fromUs, r => r.Method == "GET" && r.Path.StartsWith("/api/pictures/", StringComparison.Ordinal)
            && r.Path.EndsWith(".jpg", StringComparison.Ordinal) && r.Status != 302);
        Assert.Empty(Errors());
    }

    private sealed record Seen(string Method, string Path, int Status)
    {
        public override string ToString() => $"{Status} {Method} {Path}";
    }
}
