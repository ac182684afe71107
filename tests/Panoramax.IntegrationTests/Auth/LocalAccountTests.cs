using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Auth;

public class LocalAccountTests(TestInstance instance) : IClassFixture<TestInstance>
{
    /// <summary>Never the shared instance.Http for logins: its cookie jar would log in every later test.</summary>
    private HttpClient Cookieless() => new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };

    [Fact]
    public async Task Registered_account_is_logged_in_with_the_cookies_the_viewer_reads()
    {
        using var browser = TestAuth.CookieClient(instance);
        using var register = await browser.PostAsJsonAsync("/api/auth/local/register", new { name = "Zoé Marin", email = "zoe@example.org", password = "a long enough password" });
        Assert.True(register.StatusCode == HttpStatusCode.Created, await register.Content.ReadAsStringAsync());
        var cookies = register.Headers.GetValues("Set-Cookie").ToList();
        var session = Assert.Single(cookies, c => c.StartsWith("session=", StringComparison.Ordinal));
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        var userName = Assert.Single(cookies, c => c.StartsWith("user_name=", StringComparison.Ordinal));
        Assert.StartsWith("user_name=Zo%C3%A9%20Marin;", userName, StringComparison.Ordinal);
        Assert.DoesNotContain("httponly", userName, StringComparison.OrdinalIgnoreCase);
        Assert.Single(cookies, c => c.StartsWith("user_id=", StringComparison.Ordinal));

        var me = await browser.GetFromJsonAsync<JsonElement>("/api/users/me");
        Assert.Equal("Zoé Marin", me.GetProperty("name").GetString());

        // Logging in again (by e-mail or by name, any case) works.
        using (var again = TestAuth.CookieClient(instance))
        {
            Assert.Equal(HttpStatusCode.OK, (await again.PostAsJsonAsync("/api/auth/local/login", new { name = "zoe@example.org", password = "a long enough password" })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await again.PostAsJsonAsync("/api/auth/local/login", new { name = "zoé marin", password = "a long enough password" })).StatusCode);
        }

        using var logout = await browser.GetAsync("/api/auth/logout?next_url=/");
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        var cleared = logout.Headers.GetValues("Set-Cookie").ToList();
        Assert.Contains(cleared, c => c.StartsWith("user_id=;", StringComparison.Ordinal));
        Assert.Contains(cleared, c => c.StartsWith("session=;", StringComparison.Ordinal));
        using var after = await browser.GetAsync("/api/users/me");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/api/auth/login?next_url=", after.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_page_form_logs_in_and_redirects_to_next_url_on_this_site_only()
    {
        await TestAuth.UserAsync(instance, "form-user");
        using var browser = TestAuth.CookieClient(instance);
        var token = await TestAuth.FormTokenAsync(browser, "/login?next_url=%2Faccount");
        using var ok = await browser.PostAsync("/api/auth/local/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["name"] = "form-user", ["password"] = TestAuth.PasswordOf("form-user"), ["next_url"] = "https://evil.example.org/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        Assert.Equal("/", ok.Headers.Location!.OriginalString);
        using var account = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.OK, account.StatusCode);
        Assert.Contains("API tokens", await account.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var other = TestAuth.CookieClient(instance);
        token = await TestAuth.FormTokenAsync(other, "/login");
        using var wrong = await other.PostAsync("/api/auth/local/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["name"] = "form-user", ["password"] = "nope", ["next_url"] = "/account",
        }));
        Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
        Assert.StartsWith("/login?error=", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Contains("next_url=%2Faccount", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);
        using var errorPage = await other.GetAsync(wrong.Headers.Location);
        Assert.Contains("Wrong name or password", await errorPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_post_without_the_pages_antiforgery_token_is_refused()
    {
        await TestAuth.UserAsync(instance, "forged-form");
        using var browser = TestAuth.CookieClient(instance);
        using var forged = await browser.PostAsync("/api/auth/local/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "forged-form", ["password"] = TestAuth.PasswordOf("forged-form"),
        }));
        await JsonAssert.IsApiErrorAsync(forged, HttpStatusCode.BadRequest);
        using var anonymousAccount = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, anonymousAccount.StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_lock_the_account_with_a_message_saying_when_to_retry()
    {
        var (id, _) = await TestAuth.UserAsync(instance, "forgetful");
        var login = $"{id:N}@tests.invalid";
        using var http = Cookieless();
        for (var i = 1; i < 5; i++)
        {
            var wrong = await JsonAssert.IsApiErrorAsync(await http.PostAsJsonAsync("/api/auth/local/login", new { name = login, password = $"wrong {i}" }), HttpStatusCode.Unauthorized);
            Assert.Equal("Wrong name or password", wrong.GetProperty("message").GetString());
        }
        using var fifth = await http.PostAsJsonAsync("/api/auth/local/login", new { name = login, password = "wrong 5" });
        var locked = await JsonAssert.IsApiErrorAsync(fifth, HttpStatusCode.TooManyRequests);
        Assert.Contains("locked until", locked.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("try again in 15 minutes", locked.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(fifth.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(14));

        // Even the right password waits for the lockout to end.
        await JsonAssert.IsApiErrorAsync(await http.PostAsJsonAsync("/api/auth/local/login", new { name = login, password = TestAuth.PasswordOf("forgetful") }), HttpStatusCode.TooManyRequests);

        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            await db.Accounts.Where(a => a.Id == id).ExecuteUpdateAsync(s => s.SetProperty(a => a.LockoutEndsAt, DateTimeOffset.UnixEpoch));
        }
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/api/auth/local/login", new { name = login, password = TestAuth.PasswordOf("forgetful") })).StatusCode);
    }

    [Fact]
    public async Task Simultaneous_registrations_of_one_name_make_one_account_and_conflicts()
    {
        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            using var http = new HttpClient { BaseAddress = instance.BaseUrl };
            using var response = await http.PostAsJsonAsync("/api/auth/local/register",
                new { name = "Same Moment", email = $"same{i}@example.org", password = "a long enough password" });
            return response.StatusCode;
        });

        var statuses = await Task.WhenAll(attempts);

        Assert.Single(statuses, s => s == HttpStatusCode.Created);
        Assert.All(statuses.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            Assert.Equal(1, await db.Accounts.CountAsync(a => a.Name == "Same Moment"));
        }
    }

    [Theory]
    [InlineData("{\"name\":\"\",\"password\":\"long enough password\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"name\":\"short-pass\",\"password\":\"short\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"name\":\"bad-mail\",\"email\":\"not a mail\",\"password\":\"long enough password\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"name\":\"a@b\",\"password\":\"long enough password\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"name\":\"ADMIN\",\"password\":\"long enough password\"}", HttpStatusCode.Conflict)]
    [InlineData("{\"name\":1,\"password\":\"long enough password\"}", HttpStatusCode.BadRequest)]
    [InlineData("{broken", HttpStatusCode.BadRequest)]
    public async Task Bad_registrations_get_clear_errors(string body, HttpStatusCode expected)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        await JsonAssert.IsApiErrorAsync(await instance.Http.PostAsync("/api/auth/local/register", content), expected);
    }

    [Fact]
    public async Task Cookie_session_cannot_be_used_from_another_site()
    {
        await TestAuth.UserAsync(instance, "csrf-target");
        using var browser = await TestAuth.SessionAsync(instance, "csrf-target", TestAuth.PasswordOf("csrf-target"));
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/users/me/tokens") { Content = JsonContent.Create(new { description = "stolen" }) };
        crossSite.Headers.Add("Origin", "https://evil.example.org");
        await JsonAssert.IsApiErrorAsync(await browser.SendAsync(crossSite), HttpStatusCode.Forbidden);

        using var sameSite = new HttpRequestMessage(HttpMethod.Post, "/api/users/me/tokens") { Content = JsonContent.Create(new { description = "mine" }) };
        sameSite.Headers.Add("Origin", instance.BaseUrl.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(sameSite)).StatusCode);
    }

    [Theory]
    [InlineData("session=CfDJ8garbage; user_id=123; user_name=x")]
    [InlineData("session=; user_id=123")]
    [InlineData("session=%%%; user_id=123")]
    [InlineData("session=\"quoted\"; user_id=123")]
    public async Task Broken_session_cookie_is_anonymous_and_never_an_error(string cookie)
    {
        foreach (var path in new[] { "/api/collections", "/api/users/me", "/" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
            using var http = Cookieless();
            using var response = await http.SendAsync(request);
            Assert.True((int)response.StatusCode < 500, $"{path} answered {(int)response.StatusCode}");
            Assert.NotEqual(HttpStatusCode.OK, path == "/api/users/me" ? response.StatusCode : HttpStatusCode.Accepted);
            Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("user_id=;", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Settings_are_changed_with_patch_on_users_me()
    {
        var (_, client) = await TestAuth.UserAsync(instance, "settings");
        using var patch = await client.PatchAsJsonAsync("/api/users/me", new { default_visibility = "owner-only", default_license = "CC-BY-4.0", collaborative_metadata = false });
        var body = await patch.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(patch.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("owner-only", body.GetProperty("default_visibility").GetString());
        Assert.Equal("CC-BY-4.0", body.GetProperty("default_license").GetString());
        // logged-only is only offered when registration is closed.
        await JsonAssert.IsApiErrorAsync(await client.PatchAsJsonAsync("/api/users/me", new { default_visibility = "logged-only" }), HttpStatusCode.BadRequest);
        await JsonAssert.IsApiErrorAsync(await client.PatchAsJsonAsync("/api/users/me", new { role = "admin" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Logged_in_owner_sees_an_owner_only_sequence_that_others_do_not()
    {
        var (owner, ownerClient) = await TestAuth.UserAsync(instance, "private-owner");
        var (_, otherClient) = await TestAuth.UserAsync(instance, "someone-else");
        using var admin = await TestAuth.AdminAsync(instance);
        var seq = await TestData.SequenceAsync(instance, owner, TestData.Walk(2.35, 48.85, DateTimeOffset.Parse("2024-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), 2), visibility: "owner-only");
        var path = $"/api/collections/{seq.Id}";
        Assert.Equal(HttpStatusCode.NotFound, (await instance.Http.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ownerClient.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Configuration_says_auth_is_enabled_and_login_goes_to_the_login_page()
    {
        var conf = await instance.GetJsonAsync("/api/configuration");
        Assert.True(conf.GetProperty("auth").GetProperty("enabled").GetBoolean());
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };
        using var login = await client.GetAsync("/api/auth/login?next_url=%2F%3Fpic%3D1");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/login?next_url=%2F%3Fpic%3D1", login.Headers.Location!.OriginalString);
    }
}

public sealed class ClosedRegistrationInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Panoramax:Auth:RegistrationIsOpen", "false")];
}

public class ClosedRegistrationTests(ClosedRegistrationInstance instance) : IClassFixture<ClosedRegistrationInstance>
{
    [Fact]
    public async Task Registration_closed_is_a_clear_403()
    {
        var error = await JsonAssert.IsApiErrorAsync(
            await instance.Http.PostAsJsonAsync("/api/auth/local/register", new { name = "newcomer", password = "a long enough password" }), HttpStatusCode.Forbidden);
        Assert.Contains("Registration is closed", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        // Existing accounts still log in.
        using var admin = await TestAuth.AdminAsync(instance);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/users/me")).StatusCode);
    }
}

public sealed class AuthDisabledInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Panoramax:Auth:Enabled", "false")];
}

public class AuthDisabledTests(AuthDisabledInstance instance) : IClassFixture<AuthDisabledInstance>
{
    [Fact]
    public async Task Without_auth_login_routes_answer_501_and_configuration_says_so()
    {
        var conf = await instance.GetJsonAsync("/api/configuration");
        Assert.False(conf.GetProperty("auth").GetProperty("enabled").GetBoolean());
        await JsonAssert.IsApiErrorAsync(await instance.Http.GetAsync("/api/auth/login"), HttpStatusCode.NotImplemented);
        await JsonAssert.IsApiErrorAsync(await instance.Http.GetAsync("/api/auth/logout"), HttpStatusCode.NotImplemented);
        await JsonAssert.IsApiErrorAsync(await instance.Http.PostAsync("/api/auth/tokens/generate", null), HttpStatusCode.NotImplemented);
    }
}
