using System.Net;
using Microsoft.Playwright;
using Panoramax.IntegrationTests.Auth;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.E2ETests;

/// <summary>Chromium options shared by the login journeys (no WebGL needed on these pages).</summary>
internal static class AuthBrowser
{
    public static readonly string[] Args =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    public static async Task<(IPlaywright, IBrowser, IPage)> OpenAsync(TestInstance instance)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/lib/chromium/chromium", Headless = true, Args = Args });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = instance.BaseUrl.ToString(), Locale = "en-US" });
        context.SetDefaultTimeout(30_000);
        return (playwright, browser, await context.NewPageAsync());
    }
}

/// <summary>OSM France's set-up: OpenStreetMap is the only login (a local fake of its OAuth server).</summary>
public class OsmLoginJourneyTests(OsmOnlyInstance instance) : IClassFixture<OsmOnlyInstance>
{
    [Fact]
    public async Task Login_through_openstreetmap_lands_logged_in_with_the_osm_display_name()
    {
        var (playwright, browser, page) = await AuthBrowser.OpenAsync(instance);
        using var _ = playwright;
        await using var __ = browser;

        await page.GotoAsync("/api/auth/login?next_url=%2Faccount");

        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync($"Logged in as {FakeOsm.DisplayName}");
        var cookies = await page.Context.CookiesAsync();
        Assert.Equal(Uri.EscapeDataString(FakeOsm.DisplayName), cookies.Single(c => c.Name == "user_name").Value);
        Assert.True(cookies.Single(c => c.Name == "session").HttpOnly);
        await Assertions.Expect(page.Locator("#logins")).ToContainTextAsync("OpenStreetMap");
    }
}

public class LocalAccountJourneyTests(TestInstance instance) : IClassFixture<TestInstance>
{
    [Fact]
    public async Task Local_login_then_a_token_made_on_my_account_works_until_revoked()
    {
        await TestAuth.UserAsync(instance, "browser-user");
        var (playwright, browser, page) = await AuthBrowser.OpenAsync(instance);
        using var _ = playwright;
        await using var __ = browser;

        await page.GotoAsync("/api/auth/login?next_url=%2Faccount");
        await page.GetByLabel("Name or e-mail").FillAsync("browser-user");
        await page.GetByLabel("Password").FillAsync(TestAuth.PasswordOf("browser-user"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("Logged in as browser-user");

        await page.GetByLabel("Description").FillAsync("from the browser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create a token" }).ClickAsync();
        var jwt = await page.Locator("#new-token-jwt").TextContentAsync();
        Assert.False(string.IsNullOrEmpty(jwt));

        using var cli = TestAuth.BearerClient(instance, jwt!);
        Assert.Equal(HttpStatusCode.OK, (await cli.GetAsync("/api/users/me")).StatusCode);

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke token from the browser" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-token-result")).ToHaveTextAsync("Token revoked.");
        Assert.Equal(HttpStatusCode.Unauthorized, (await cli.GetAsync("/api/users/me")).StatusCode);
    }
}
