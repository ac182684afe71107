using System.Net;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Pages;

/// <summary>
/// The pages for managing published data (/my/sequences, a sequence, /my/reports, /admin/reports) over real HTTP:
/// HTML for logged-in people, the login redirect for anonymous visitors, the queue kept to admins, assets served.
/// What the pages do in a browser is pinned by the E2E tests (ManagePagesJourneyTests).
/// </summary>
public sealed class ManagePagesTests(TestInstance instance) : IClassFixture<TestInstance>
{
    public static TheoryData<string> PersonalPages() => new()
    {
        "/my/sequences",
        $"/my/sequences/{Guid.Empty}",
        "/my/reports",
    };

    [Theory]
    [MemberData(nameof(PersonalPages))]
    public async Task Pages_answer_html_with_their_script_to_a_logged_in_contributor(string path)
    {
        using var browser = await ContributorSessionAsync();

        using var page = await browser.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("""<script src="/pages/pages.js"></script>""", html, StringComparison.Ordinal);
        Assert.Contains("""role="status""", html, StringComparison.Ordinal);
        // The navigation links every page of the caller, but not the admins' queue.
        Assert.Contains("""href="/my/sequences""", html, StringComparison.Ordinal);
        Assert.Contains("""href="/my/reports""", html, StringComparison.Ordinal);
        Assert.DoesNotContain("""href="/admin/reports""", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PersonalPages))]
    [InlineData("/admin/reports")]
    [InlineData("/admin/federation")]
    public async Task Anonymous_visitors_are_sent_to_the_login_and_back(string path)
    {
        using var anonymous = TestAuth.CookieClient(instance);

        using var page = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        var location = page.Headers.Location!.OriginalString;
        Assert.StartsWith("/api/auth/login?next_url=", location, StringComparison.Ordinal);
        Assert.EndsWith(Uri.EscapeDataString(path), location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_queue_is_a_403_page_for_a_contributor_and_the_queue_for_an_admin()
    {
        using var contributor = await ContributorSessionAsync();
        using var admin = await TestAuth.SessionAsync(instance, "admin", TestInstance.AdminPassword);

        using var refused = await contributor.GetAsync("/admin/reports");
        using var queue = await admin.GetAsync("/admin/reports");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("text/html", refused.Content.Headers.ContentType!.MediaType);
        var refusal = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Only administrators", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("reports.js", refusal, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
        var html = await queue.Content.ReadAsStringAsync();
        Assert.Contains("""data-mode="admin""", html, StringComparison.Ordinal);
        Assert.Contains("""<script src="/pages/reports.js"></script>""", html, StringComparison.Ordinal);
        Assert.Contains("""href="/admin/reports""", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Account_page_links_the_new_pages()
    {
        using var browser = await ContributorSessionAsync();

        var html = await browser.GetStringAsync("/account");

        Assert.Contains("API tokens", html, StringComparison.Ordinal);
        Assert.Contains("""<a href="/my/sequences">My sequences</a>""", html, StringComparison.Ordinal);
        Assert.Contains("""<a href="/account" aria-current="page">My account</a>""", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/pages/pages.css", "text/css", "--accent")]
    [InlineData("/pages/pages.js", "text/javascript", "PanoramaxPages")]
    [InlineData("/pages/my-sequences.js", "text/javascript", "collections/")]
    [InlineData("/pages/sequence.js", "text/javascript", "/cut")]
    [InlineData("/pages/reports.js", "text/javascript", "moderation/takedown")]
    [InlineData("/pages/federation.js", "text/javascript", "admin/peers")]
    [InlineData("/upload/upload.css", "text/css", "#drop")]
    public async Task Page_assets_are_served_from_the_assembly(string path, string type, string excerpt)
    {
        using var asset = await instance.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal(type, asset.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-cache", asset.Headers.CacheControl!.ToString());
        Assert.Contains(excerpt, await asset.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_asset_is_404()
    {
        using var missing = await instance.Http.GetAsync("/pages/nothing.js");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>A new contributor (a name of its own: logging in by name must not be ambiguous) with a browser session.</summary>
    private async Task<HttpClient> ContributorSessionAsync()
    {
        var name = $"pages-{Guid.NewGuid():N}"[..16];
        using var _ = (await TestAuth.UserAsync(instance, name)).Client;
        return await TestAuth.SessionAsync(instance, name, TestAuth.PasswordOf(name));
    }
}
