using System.Net;
using System.Net.Http.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Auth;

/// <summary>An instance with small per-client budgets, so the tests reach them in a few requests.</summary>
public sealed class SmallBudgetsInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Auth:RegistrationsPerClientPerHour", "2"),
        new("Panoramax:Auth:LoginsPerClientPerMinute", "3"),
        new("Panoramax:Auth:TokenRequestsPerClientPerMinute", "2"),
        new("Panoramax:ReportsPerClientPerHour", "2"),
    ];
}

/// <summary>One address may only create so many accounts, try so many passwords and ask for so many tokens.</summary>
public sealed class ClientThrottleTests(SmallBudgetsInstance instance) : IClassFixture<SmallBudgetsInstance>
{
    private HttpClient Cookieless() => new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };

    private static async Task AssertThrottledAsync(HttpResponseMessage response, string message)
    {
        var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.TooManyRequests);
        Assert.StartsWith(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.True(retryAfter.Value >= TimeSpan.FromSeconds(1), $"Retry-After {retryAfter}");
    }

    [Fact]
    public async Task Registrations_beyond_the_budget_of_an_address_get_429_with_Retry_After_and_make_no_account()
    {
        using var http = Cookieless();
        for (var i = 0; i < 2; i++)
        {
            using var created = await http.PostAsJsonAsync("/api/auth/local/register", new { name = $"walker {i}", password = "a long enough password" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var refused = await http.PostAsJsonAsync("/api/auth/local/register", new { name = "walker 2", password = "a long enough password" });
        await AssertThrottledAsync(refused, "Too many accounts were created from your address");
        await using (var conn = new Npgsql.NpgsqlConnection(instance.ConnectionString))
        {
            await conn.OpenAsync();
            await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM accounts WHERE name = 'walker 2'", conn);
            Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
        }

        // The registration page shows the reason instead of an error page.
        using var browser = TestAuth.CookieClient(instance);
        var token = await TestAuth.FormTokenAsync(browser, "/register");
        using var form = await browser.PostAsync("/api/auth/local/register", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["name"] = "walker 3", ["password"] = "a long enough password",
        }));
        Assert.Equal(HttpStatusCode.Redirect, form.StatusCode);
        Assert.StartsWith("/register?error=", form.Headers.Location!.OriginalString, StringComparison.Ordinal);
        using var page = await browser.GetAsync(form.Headers.Location);
        Assert.Contains("Too many accounts were created from your address", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logins_beyond_the_budget_of_an_address_get_429_even_with_the_right_password()
    {
        // Making the account logs it in once: one of the three attempts.
        var (id, user) = await TestAuth.UserAsync(instance, "budgeted walker");
        user.Dispose();
        using var http = Cookieless();
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await http.PostAsJsonAsync("/api/auth/local/login", new { name = $"someone {i}", password = "guessed password" });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var refused = await http.PostAsJsonAsync("/api/auth/local/login", new { name = $"{id:N}@tests.invalid", password = TestAuth.PasswordOf("budgeted walker") });
        await AssertThrottledAsync(refused, "Too many login attempts from your address");
    }

    [Fact]
    public async Task Token_requests_beyond_the_budget_of_an_address_get_429()
    {
        using var http = Cookieless();
        for (var i = 0; i < 2; i++)
        {
            using var issued = await http.PostAsync("/api/auth/tokens/generate", null);
            Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        }
        using var refused = await http.PostAsync("/api/auth/tokens/generate", null);
        await AssertThrottledAsync(refused, "Too many tokens were asked for from your address");
    }

    [Fact]
    public async Task Reports_beyond_the_budget_of_an_address_get_429_and_are_not_stored()
    {
        // An account made without logging in: this class's login budget belongs to the login test.
        var account = await TestData.AccountAsync(instance, "reported walker", false);
        var seq = await TestData.SequenceAsync(instance, account, TestData.Walk(2.35, 48.85, new DateTimeOffset(2024, 5, 1, 9, 0, 0, TimeSpan.Zero), 1));
        using var http = Cookieless();
        for (var i = 0; i < 2; i++)
        {
            using var sent = await http.PostAsJsonAsync("/api/reports", new { issue = "blur_missing", picture_id = seq.PictureIds[0], reporter_comments = $"report {i}" });
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }
        using var refused = await http.PostAsJsonAsync("/api/reports", new { issue = "blur_missing", picture_id = seq.PictureIds[0], reporter_comments = "report 2" });
        await AssertThrottledAsync(refused, "Too many reports were sent from your address");
        await using var conn = new Npgsql.NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM reports WHERE reporter_comments = 'report 2'", conn);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_address_has_its_own_budget()
    {
        // Loopback is a trusted proxy by default: the address it forwards is the client's.
        using var http = Cookieless();
        async Task<HttpStatusCode> AskAsync(string client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/tokens/generate");
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await AskAsync("203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await AskAsync("203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AskAsync("203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await AskAsync("203.0.113.8"));
    }
}

/// <summary>An instance that believes only a proxy at 10.1.2.3: its test clients on loopback are not proxies.</summary>
public sealed class UntrustedLoopbackInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:TrustedProxies:0", "10.1.2.3"),
        new("Panoramax:Auth:TokenRequestsPerClientPerMinute", "1"),
    ];
}

/// <summary>Forwarded headers from a client that is not a trusted proxy change nothing.</summary>
public sealed class UntrustedForwardedHeadersTests(UntrustedLoopbackInstance instance) : IClassFixture<UntrustedLoopbackInstance>
{
    [Fact]
    public async Task Forwarded_host_from_a_client_that_is_not_a_trusted_proxy_does_not_change_links()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "attacker.example.org");
        using var response = await instance.Http.SendAsync(request);
        var landing = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(new Uri(instance.BaseUrl, "/api").ToString(), Assert.Single(JsonAssert.Links(landing, "self")).GetProperty("href").GetString());
    }

    [Fact]
    public async Task A_client_cannot_escape_its_budget_by_claiming_other_addresses()
    {
        using var http = new HttpClient { BaseAddress = instance.BaseUrl };
        using var first = new HttpRequestMessage(HttpMethod.Post, "/api/auth/tokens/generate");
        first.Headers.Add("X-Forwarded-For", "203.0.113.7");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(first)).StatusCode);
        using var second = new HttpRequestMessage(HttpMethod.Post, "/api/auth/tokens/generate");
        second.Headers.Add("X-Forwarded-For", "203.0.113.8");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.SendAsync(second)).StatusCode);
    }
}
