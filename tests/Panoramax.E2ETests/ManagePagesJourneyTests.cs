using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;

namespace Panoramax.E2ETests;

/// <summary>
/// A contributor with five published sequences of real pictures (files in storage, so thumbnails show): two walks
/// in Arezzo, side by side on the map, one in Lyon that gets reported, and two rides in Paris to reorder and merge.
/// </summary>
public sealed class ManagePagesInstance : TestInstance
{
    public const string ContributorName = "walker";

    public Guid Contributor { get; private set; }
    public Guid MorningWalk { get; private set; }
    public Guid EveningWalk { get; private set; }
    public IReadOnlyList<Guid> EveningPictures { get; private set; } = [];
    public Guid LyonWalk { get; private set; }
    public IReadOnlyList<Guid> LyonPictures { get; private set; } = [];
    public Guid BikeRide { get; private set; }
    public IReadOnlyList<Guid> BikePictures { get; private set; } = [];
    public Guid ShortRide { get; private set; }
    public IReadOnlyList<Guid> ShortPictures { get; private set; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var (id, client) = await TestAuth.UserAsync(this, ContributorName);
        client.Dispose();
        Contributor = id;

        MorningWalk = await SeedAsync("Morning walk", MapSeed.Line(11.8851, 43.4670, 3, new DateTimeOffset(2008, 10, 22, 9, 0, 0, TimeSpan.Zero), step: 0.0002), null);
        EveningWalk = await SeedAsync("Evening walk", MapSeed.Line(11.8868, 43.4664, 4, new DateTimeOffset(2008, 10, 22, 18, 0, 0, TimeSpan.Zero), step: 0.0002), list => EveningPictures = list);
        LyonWalk = await SeedAsync("Lyon walk", MapSeed.Line(4.8357, 45.7640, 2, new DateTimeOffset(2020, 5, 9, 12, 0, 0, TimeSpan.Zero)), list => LyonPictures = list);
        BikeRide = await SeedAsync("Bike ride", MapSeed.Line(2.3500, 48.8500, 3, new DateTimeOffset(2021, 6, 1, 10, 0, 0, TimeSpan.Zero)), list => BikePictures = list);
        ShortRide = await SeedAsync("Short ride", MapSeed.Line(2.3600, 48.8600, 2, new DateTimeOffset(2021, 6, 1, 11, 0, 0, TimeSpan.Zero)), list => ShortPictures = list);
        await MapSeed.RefreshGridAsync(this);
    }

    private async Task<Guid> SeedAsync(string title, IReadOnlyList<MapPicture> pictures, Action<IReadOnlyList<Guid>>? keep)
    {
        var (sequence, rows) = await MapSeed.SequenceAsync(this, Contributor, pictures, make: "NIKON", model: "COOLPIX P6000",
            configure: (p, i) => ViewerInstance.WriteFiles(this, p, TestPaths.SharedData("a-exif-samples-arezzo", ViewerInstance.FlatFiles[i % ViewerInstance.FlatFiles.Length]), tiles: false));
        var (scope, db) = OpenDb();
        await using (scope)
        {
            await db.Sequences.Where(s => s.Id == sequence.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.Title, title));
        }
        keep?.Invoke([.. rows.Select(r => r.Id)]);
        return sequence.Id;
    }
}

/// <summary>
/// The pages for managing published data in Debian's chromium (issue 9 §5): a contributor logs in through the real
/// form, opens "my sequences", hides one, cuts another in two from its sequence page, and the API and the viewer's map
/// (for an anonymous visitor) reflect it; reordering and merging from the sequence page; an admin takes a reported
/// picture down from the reports queue; the owner answers a report on "my reports". Screenshots go to artifacts/e2e/.
/// </summary>
public sealed class ManagePagesJourneyTests(ManagePagesInstance instance) : IClassFixture<ManagePagesInstance>
{
    private static readonly string Artifacts = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    [Fact]
    public async Task A_contributor_hides_a_sequence_and_cuts_another_in_two_and_the_viewer_shows_it()
    {
        Directory.CreateDirectory(Artifacts);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await ViewerJourneyTests.LaunchChromiumAsync(playwright);
        await using var context = await ViewerJourneyTests.InstanceOnlyContextAsync(browser, instance);
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = dialog.AcceptAsync();
        };

        // "My sequences" sends the anonymous visitor to the login form, and back once logged in.
        await LogInThroughAsync(page, "/my/sequences", ManagePagesInstance.ContributorName, TestAuth.PasswordOf(ManagePagesInstance.ContributorName));
        // (Other tests of this class change the other sequences: only these two rows are pinned here.)
        await Assertions.Expect(page.Locator($"#sequences tr[data-id='{instance.MorningWalk}']")).ToContainTextAsync("Morning walk");
        await Assertions.Expect(page.Locator($"#sequences tr[data-id='{instance.EveningWalk}']")).ToContainTextAsync("Evening walk");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-1-my-sequences.png"), FullPage = true });

        // Hide the morning walk.
        await page.GetByLabel("Visibility of Morning walk").SelectOptionAsync("owner-only");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Morning walk is now visible to: Only me (hidden).");

        // Cut the evening walk before its third picture, from its sequence page.
        await page.GetByRole(AriaRole.Link, new() { Name = "Evening walk", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#page-title")).ToHaveTextAsync("Evening walk");
        await Assertions.Expect(page.Locator("#pictures li")).ToHaveCountAsync(4);
        // Thumbnails load (through the page's session).
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#pictures img')].every(i => i.complete && i.naturalWidth > 0)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-2-sequence.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Cut the sequence before picture 3" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("The sequence was cut in two at picture 3.");
        await Assertions.Expect(page.Locator("#pictures li")).ToHaveCountAsync(2);
        Assert.Single(dialogs);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-3-cut.png"), FullPage = true });

        // The new sequence is linked from the status line and holds the last two pictures, ids unchanged.
        var href = await page.Locator("#status a").GetAttributeAsync("href") ?? "";
        var created = Guid.Parse(href.Split('/')[^1]);
        Assert.NotEqual(instance.EveningWalk, created);
        await page.Locator("#status a").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/my/sequences/{created}$"));
        await Assertions.Expect(page.Locator("#pictures li")).ToHaveCountAsync(2);
        Assert.Equal(
            new[] { instance.EveningPictures[2].ToString(), instance.EveningPictures[3].ToString() },
            await page.Locator("#pictures li").EvaluateAllAsync<string[]>("l => l.map(e => e.dataset.id)"));

        // For everyone else: the hidden walk is gone from the API, the cut one is two sequences.
        using var anonymous = new HttpClient { BaseAddress = instance.BaseUrl };
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/collections/{instance.MorningWalk}")).StatusCode);
        using (var search = JsonDocument.Parse(await anonymous.GetStringAsync($"/api/search?collections={instance.MorningWalk}")))
        {
            Assert.Equal(0, search.RootElement.GetProperty("features").GetArrayLength());
        }
        Assert.Equal(new[] { instance.EveningPictures[0], instance.EveningPictures[1] }, await ItemIdsAsync(anonymous, instance.EveningWalk));
        Assert.Equal(new[] { instance.EveningPictures[2], instance.EveningPictures[3] }, await ItemIdsAsync(anonymous, created));

        // And the viewer's map, for an anonymous visitor, draws the two halves and not the hidden walk.
        await using var visitorContext = await ViewerJourneyTests.InstanceOnlyContextAsync(browser, instance);
        var viewer = await visitorContext.NewPageAsync();
        await viewer.GotoAsync("/?map=16/43.4670/11.8860");
        await ViewerJourneyTests.WaitForSequencesAsync(viewer, [instance.EveningWalk.ToString(), created.ToString()]);
        await viewer.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-4-viewer.png") });

        Assert.Empty(errors);
    }

    [Fact]
    public async Task An_admin_takes_a_reported_picture_down_from_the_queue_and_its_file_is_gone_for_others()
    {
        Directory.CreateDirectory(Artifacts);
        var picture = instance.LyonPictures[0];
        using var anonymous = new HttpClient { BaseAddress = instance.BaseUrl };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/pictures/{picture}/hd.jpg")).StatusCode);
        var reportId = await ReportAsync(anonymous, picture, "privacy", "A face is not blurred");

        var (playwright, browser, page) = await AuthBrowser.OpenAsync(instance);
        using var ownPlaywright = playwright;
        await using var ownBrowser = browser;
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        await LogInThroughAsync(page, "/admin/reports", "admin", TestInstance.AdminPassword);
        // Other tests of this class may have filed reports too: this one is found by its id.
        var row = page.Locator($"#reports tr[data-id='{reportId}']");
        await Assertions.Expect(row).ToContainTextAsync("A face is not blurred");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-5-reports-queue.png"), FullPage = true });

        await row.GetByLabel(new Regex("^Reason for taking down the picture of report \\d+$")).FillAsync("Face visible, blur missed it");
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Take down the picture of report \\d+$") }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("was taken down: only its owner sees it now, and the report is closed.");
        // Closed, so out of the open queue; shown again with the closed ones.
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await page.GetByLabel("Show closed reports too").CheckAsync();
        await Assertions.Expect(row.Locator("select")).ToHaveValueAsync("closed_solved");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-6-taken-down.png"), FullPage = true });

        using var hd = await anonymous.GetAsync($"/api/pictures/{picture}/hd.jpg");
        Assert.Contains(hd.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Forbidden });
        using var admin = await TestAuth.AdminAsync(instance);
        using var actions = JsonDocument.Parse(await admin.GetStringAsync($"/api/moderation/actions?picture_id={picture}"));
        var action = Assert.Single(actions.RootElement.GetProperty("actions").EnumerateArray());
        Assert.Equal("takedown", action.GetProperty("kind").GetString());
        Assert.Equal("Face visible, blur missed it", action.GetProperty("reason").GetString());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_owner_finds_a_report_about_their_picture_on_my_reports_and_answers_it()
    {
        Directory.CreateDirectory(Artifacts);
        using var anonymous = new HttpClient { BaseAddress = instance.BaseUrl };
        var reportId = await ReportAsync(anonymous, instance.LyonPictures[1], "mislocated", "This is not where it was taken");

        var (playwright, browser, page) = await AuthBrowser.OpenAsync(instance);
        using var ownPlaywright = playwright;
        await using var ownBrowser = browser;
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        await LogInThroughAsync(page, "/my/reports", ManagePagesInstance.ContributorName, TestAuth.PasswordOf(ManagePagesInstance.ContributorName));
        var row = page.Locator($"#reports tr[data-id='{reportId}']");
        await Assertions.Expect(row).ToContainTextAsync("About my data");
        await Assertions.Expect(row).ToContainTextAsync("mislocated");
        await Assertions.Expect(row).ToContainTextAsync("This is not where it was taken");
        await row.Locator("select").SelectOptionAsync("waiting");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("is now waiting.");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-7-my-reports.png"), FullPage = true });

        using var owner = await TestAuth.LoginAsync(instance, ManagePagesInstance.ContributorName, TestAuth.PasswordOf(ManagePagesInstance.ContributorName));
        using var report = JsonDocument.Parse(await owner.GetStringAsync($"/api/reports/{reportId}"));
        Assert.Equal("waiting", report.RootElement.GetProperty("status").GetString());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_contributor_reorders_a_sequence_and_merges_another_into_it()
    {
        Directory.CreateDirectory(Artifacts);
        var (playwright, browser, page) = await AuthBrowser.OpenAsync(instance);
        using var ownPlaywright = playwright;
        await using var ownBrowser = browser;
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();

        await LogInThroughAsync(page, $"/my/sequences/{instance.BikeRide}", ManagePagesInstance.ContributorName, TestAuth.PasswordOf(ManagePagesInstance.ContributorName));
        await Assertions.Expect(page.Locator("#pictures li")).ToHaveCountAsync(3);

        // From here the list of my sequences comes late, as on a slow server: the page refreshes it after the reorder
        // while the person already picks the sequence to merge, and must keep that pick.
        await Assertions.Expect(page.Locator($"#merge-with option[value='{instance.ShortRide}']")).ToHaveCountAsync(1);
        var slowList = new TaskCompletionSource();
        await page.RouteAsync("**/api/users/me/collection*", async route =>
        {
            await slowList.Task;
            await route.ContinueAsync();
        });
        await page.GetByLabel("Order the pictures by").SelectOptionAsync("-gpsdate");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reorder" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Pictures reordered by capture time, newest first.");
        await Assertions.Expect(page.Locator("#pictures li").First).ToHaveAttributeAsync("data-id", instance.BikePictures[2].ToString());

        await page.GetByLabel("Merge with another of my sequences").SelectOptionAsync(instance.ShortRide.ToString());
        var listed = page.WaitForResponseAsync("**/api/users/me/collection*");
        slowList.SetResult();
        await listed;
        await page.UnrouteAsync("**/api/users/me/collection*");
        await Assertions.Expect(page.GetByLabel("Merge with another of my sequences")).ToHaveValueAsync(instance.ShortRide.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Merge into this sequence" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("was merged into this sequence.");
        await Assertions.Expect(page.Locator("#pictures li")).ToHaveCountAsync(5);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "manage-8-merged.png"), FullPage = true });

        // Newest first across both rides (the short ride came an hour later), ids unchanged; the short ride is gone.
        var expected = new[] { instance.ShortPictures[1], instance.ShortPictures[0], instance.BikePictures[2], instance.BikePictures[1], instance.BikePictures[0] };
        Assert.Equal(expected.Select(id => id.ToString()), await page.Locator("#pictures li").EvaluateAllAsync<string[]>("l => l.map(e => e.dataset.id)"));
        using var anonymous = new HttpClient { BaseAddress = instance.BaseUrl };
        Assert.Equal(expected, await ItemIdsAsync(anonymous, instance.BikeRide));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/collections/{instance.ShortRide}")).StatusCode);
        Assert.Empty(errors);
    }

    /// <summary>Opens a page as an anonymous visitor, logs in through the real form it is sent to, and lands back on it.</summary>
    internal static async Task LogInThroughAsync(IPage page, string path, string name, string password)
    {
        await page.GotoAsync(path);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/login\\?"));
        await page.GetByLabel("Name or e-mail").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(path) + "$"));
    }

    private static async Task<string> ReportAsync(HttpClient anonymous, Guid picture, string issue, string comment)
    {
        using var answer = await anonymous.PostAsJsonAsync("/api/reports", new { issue, picture_id = picture, reporter_comments = comment });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<Guid[]> ItemIdsAsync(HttpClient client, Guid sequence)
    {
        using var items = JsonDocument.Parse(await client.GetStringAsync($"/api/collections/{sequence}/items"));
        return [.. items.RootElement.GetProperty("features").EnumerateArray().Select(f => Guid.Parse(f.GetProperty("id").GetString()!))];
    }
}
