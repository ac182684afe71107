using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Panoramax.Domain.Sequences;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Uploads;

namespace Panoramax.E2ETests;

/// <summary>
/// The /upload page in Debian's chromium: a real sequence of shared/data (the Arezzo walk, plus one file without GPS)
/// is uploaded through the page; rejections are listed with their reason; after a reload the same selection is
/// resumed without sending anything again; the sequences made from the set are linked to the viewer.
/// </summary>
public sealed class UploadPageTests(AnonymousUploadInstance instance) : IClassFixture<AnonymousUploadInstance>
{
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private const string ChromiumPath = "/usr/lib/chromium/chromium";
    private static readonly string Artifacts = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    private static readonly string[] Walk =
        ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg", "DSCN0025.jpg", "DSCN0027.jpg", "DSCN0029.jpg", "DSCN0038.jpg", "DSCN0040.jpg", "DSCN0042.jpg", "no_exif.jpg"];

    [Fact]
    public async Task A_sequence_is_uploaded_through_the_page_rejections_are_listed_and_a_reload_resumes_without_resending()
    {
        Directory.CreateDirectory(Artifacts);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = instance.BaseUrl.ToString(), Locale = "en-US" });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        var posts = 0;
        page.Request += (_, r) =>
        {
            if (r.Method == "POST" && r.Url.EndsWith("/files", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref posts);
            }
        };

        await page.GotoAsync("/upload");
        var files = Walk.Select(f => TestPaths.SharedData("a-exif-samples-arezzo", f)).ToArray();
        await page.GetByLabel("Pictures", new() { Exact = true }).SetInputFilesAsync(files);
        await Assertions.Expect(page.Locator("#selection")).ToContainTextAsync("10 file(s) selected");
        await page.GetByLabel("Title of the sequence").FillAsync("Arezzo walk");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload", Exact = true }).ClickAsync();

        await Assertions.Expect(page.Locator("#sent")).ToContainTextAsync("All files sent", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#file-list li.accepted")).ToHaveCountAsync(9);
        await Assertions.Expect(page.Locator("#rejected-list li")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#rejected-list li")).ToContainTextAsync(new Regex("no_exif.jpg: invalid_metadata"));
        Assert.Equal("1", await page.EvalOnSelectorAsync<string>("#overall", "e => String(e.value)"));
        await Assertions.Expect(page.Locator("#overall-text")).ToHaveTextAsync("100 %");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "upload-1-sent.png"), FullPage = true });
        Assert.Equal(10, posts);

        Guid setId;
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var set = await db.UploadSets.SingleAsync(s => s.Title == "Arezzo walk");
            setId = set.Id;
            Assert.True(set.Completed);
            Assert.Equal(9, await db.Pictures.CountAsync(p => p.UploadSetId == setId));
            Assert.Equal(10, await db.UploadSetFiles.CountAsync(f => f.UploadSetId == setId));
        }

        // Reload: the unfinished set is offered; choosing the same files sends nothing again.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#resume")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#resume-count")).ToContainTextAsync("9 accepted, 1 rejected");
        await page.GetByLabel("Pictures", new() { Exact = true }).SetInputFilesAsync(files);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#sent")).ToContainTextAsync("All files sent", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#file-list li.skipped")).ToHaveCountAsync(9);
        await Assertions.Expect(page.Locator("#rejected-list li")).ToHaveCountAsync(1);
        Assert.Equal(10, posts);

        // Dispatch belongs to the processing side: stand in for it with the sequence it would make, then the page links it.
        var sequenceId = Guid.NewGuid();
        (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var set = await db.UploadSets.SingleAsync(s => s.Id == setId);
            db.Sequences.Add(new Sequence
            {
                Id = sequenceId,
                OriginInstanceId = set.OriginInstanceId,
                AccountId = set.AccountId,
                UploadSetId = setId,
                Title = "Arezzo walk",
                CreatedAt = TimeProvider.System.GetUtcNow(),
                UpdatedAt = TimeProvider.System.GetUtcNow(),
            });
            await db.SaveChangesAsync();
        }
        var link = page.Locator("#sequence-list a");
        await Assertions.Expect(link).ToHaveTextAsync("Arezzo walk (0 pictures)", new() { Timeout = 15_000 });
        Assert.EndsWith($"/?seq={sequenceId}", await link.GetAttributeAsync("href"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "upload-2-resumed.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
