using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.E2ETests;

/// <summary>
/// The official web viewer, in Debian's chromium, against a real instance: the journey of viewer-contract.md §2
/// (map from our tiles, filters, open a picture, next picture). Screenshots go to artifacts/e2e/.
/// </summary>
public class ViewerJourneyTests(ViewerInstance instance) : IClassFixture<ViewerInstance>
{
    // The viewer's map and 360° view need WebGL: without the two swiftshader flags chromium has none.
    internal static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private const string ChromiumPath = "/usr/lib/chromium/chromium";
    private const float Timeout = 60_000;

    private static readonly string Artifacts = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    /// <summary>Ids of the sequences the map currently draws (null until our layer exists).</summary>
    private const string RenderedSequences = """
        () => {
          const map = document.querySelector('pnx-viewer')?.map;
          if (!map || !map.getLayer || !map.getLayer('geovisio_sequences')) return null;
          return [...new Set(map.queryRenderedFeatures({ layers: ['geovisio_sequences'] }).map(f => f.properties.id))].sort();
        }
        """;

    [Fact]
    public async Task Map_shows_our_sequences_filters_change_them_and_a_picture_opens_then_moves_to_the_next()
    {
        Directory.CreateDirectory(Artifacts);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        await using var context = await InstanceOnlyContextAsync(browser, instance);
        var page = await context.NewPageAsync();
        var tiles = new ConcurrentBag<(string Url, int Status)>();
        var failures = new ConcurrentBag<string>();
        page.Response += (_, r) =>
        {
            if (r.Url.Contains(".mvt", StringComparison.Ordinal))
            {
                tiles.Add((r.Url, r.Status));
            }
            if (r.Status >= 400 && r.Url.StartsWith(instance.BaseUrl.ToString(), StringComparison.Ordinal))
            {
                failures.Add($"{r.Status} {r.Url}");
            }
        };
        // Script errors are only reported: the viewer throws on the third-party calls we block (reverse geocoding).
        var scriptErrors = new ConcurrentBag<string>();
        page.PageError += (_, e) => scriptErrors.Add(e.Split('\n')[0]);
        var flat = instance.FlatSequence.ToString();
        var sphere = instance.SphereSequence.ToString();

        // 1. The map, drawn from our tiles.
        await page.GotoAsync("/?map=16/43.4672/11.8855");
        var both = new[] { flat, sphere }.Order(StringComparer.Ordinal).ToArray();
        await WaitForSequencesAsync(page, both);
        Assert.NotEmpty(tiles);
        Assert.All(tiles, t => Assert.Equal(200, t.Status));
        Assert.Contains(tiles, t => t.Url.Contains("/api/map/15/", StringComparison.Ordinal));
        // z15 tiles also carry the picture points (3 flat + 2 panoramas, all in view).
        await page.WaitForFunctionAsync(
            "() => (document.querySelector('pnx-viewer')?.map?.queryRenderedFeatures({ layers: ['geovisio_pictures'] }) ?? []).length >= 5",
            null,
            new PageWaitForFunctionOptions { Timeout = Timeout, PollingInterval = 250 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "1-map.png") });

        // 2. Date filter (from 2015: only the 2020 panorama), then the type filter (flat only).
        await page.Locator("#pnx-widget-filter pnx-button").First.ClickAsync();
        await page.Locator("#pnx-filter-date-from").FillAsync("2015-01-01");
        await WaitForSequencesAsync(page, [sphere]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "2-date-filter.png") });
        await page.Locator("#pnx-filter-date-from").FillAsync("");
        await WaitForSequencesAsync(page, both);
        await page.Locator("label[for='pnx-filter-type-flat']").ClickAsync();
        await WaitForSequencesAsync(page, [flat]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "3-type-filter.png") });

        // 3. Open a picture from the URL, then the next one of its sequence.
        var first = instance.FlatPictures[0].ToString();
        var second = instance.FlatPictures[1].ToString();
        await page.GotoAsync($"/?pic={first}&seq={flat}");
        await WaitForPictureAsync(page, first, failures.Concat(scriptErrors));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "4-picture.png") });
        var next = page.Locator("#pnx-player-next");
        if (await next.IsVisibleAsync())
        {
            await next.ClickAsync();
        }
        else
        {
            await page.Keyboard.PressAsync("PageUp");
        }
        await WaitForPictureAsync(page, second, failures.Concat(scriptErrors));
        await page.WaitForFunctionAsync("id => location.href.includes(id)", second, new PageWaitForFunctionOptions { Timeout = Timeout });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "5-next-picture.png") });

        Assert.All(tiles, t => Assert.Equal(200, t.Status));
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
    }

    /// <summary>
    /// A 1280×800 en-US browser context that reaches nothing but the instance: the viewer's third-party calls
    /// (geocoding, presets) must not be needed.
    /// </summary>
    internal static async Task<IBrowserContext> InstanceOnlyContextAsync(IBrowser browser, TestInstance instance)
    {
        var context = await browser.NewContextAsync(ContextOptions(instance));
        await context.RouteAsync("**/*", route =>
            new Uri(route.Request.Url).Host == instance.BaseUrl.Host ? route.ContinueAsync() : route.AbortAsync());
        return context;
    }

    /// <summary>Debian's chromium, headless, with WebGL (<see cref="ChromiumArgs"/>) and <paramref name="extraArgs"/>.</summary>
    internal static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright, params string[] extraArgs) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = [.. ChromiumArgs, .. extraArgs] });

    /// <summary>A 1280×800 en-US browser context whose relative URLs go to the instance.</summary>
    internal static BrowserNewContextOptions ContextOptions(TestInstance instance) => new()
    {
        BaseURL = instance.BaseUrl.ToString(),
        ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        Locale = "en-US",
    };

    /// <summary>Waits until the viewer's map draws exactly these sequences (ids) in view, or fails with what it draws.</summary>
    internal static async Task WaitForSequencesAsync(IPage page, string[] expected)
    {
        var want = JsonSerializer.Serialize(expected.Order(StringComparer.Ordinal));
        try
        {
            await page.WaitForFunctionAsync(
                $"() => JSON.stringify(({RenderedSequences})()) === {JsonSerializer.Serialize(want)}",
                null,
                new PageWaitForFunctionOptions { Timeout = Timeout, PollingInterval = 250 });
        }
        catch (TimeoutException)
        {
            var seen = await page.EvaluateAsync<string[]?>(RenderedSequences);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "failure.png") });
            Assert.Fail($"The map should draw sequences {want} but draws {(seen is null ? "no sequence layer" : JsonSerializer.Serialize(seen))}");
        }
    }

    /// <summary>Waits until the viewer shows this picture, loaded; <paramref name="failures"/> is read only to explain a timeout.</summary>
    internal static async Task WaitForPictureAsync(IPage page, string pictureId, IEnumerable<string> failures)
    {
        try
        {
            await page.WaitForFunctionAsync(
                // Shown, and the loading screen gone (it covers the picture until the image is loaded).
                "id => { const v = document.querySelector('pnx-viewer'); return v?.psv?.getPictureId?.() === id && (!v.loader || v.loader.visible === false || !v.loader.isConnected); }",
                pictureId,
                new PageWaitForFunctionOptions { Timeout = Timeout, PollingInterval = 250 });
        }
        catch (TimeoutException)
        {
            var shown = await page.EvaluateAsync<string?>("() => document.querySelector('pnx-viewer')?.psv?.getPictureId?.() ?? null");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "failure.png") });
            Assert.Fail($"The viewer should show picture {pictureId} but shows {shown ?? "none"} (or is still loading); failed requests and script errors:\n{string.Join("\n", failures)}");
        }
    }
}
