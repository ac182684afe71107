using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using Panoramax.Domain.Accounts;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>
/// Logged-in callers for tests, obtained through the real HTTP routes (local login, then
/// <c>POST /api/users/me/tokens</c>), so every test that uses them also exercises authentication.
/// </summary>
public static class TestAuth
{
    /// <summary>The password <see cref="UserAsync"/> gives an account of this name.</summary>
    public static string PasswordOf(string name) => $"password-of-{name}";

    /// <summary>A client carrying a fresh API token of the account as <c>Authorization: Bearer</c>.</summary>
    public static async Task<HttpClient> LoginAsync(TestInstance instance, string name, string password)
    {
        using var session = await SessionAsync(instance, name, password);
        using var response = await session.PostAsJsonAsync("/api/users/me/tokens", new { description = "integration tests" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token creation answered {(int)response.StatusCode}: {text}");
        var jwt = JsonDocument.Parse(text).RootElement.GetProperty("jwt_token").GetString()!;
        return BearerClient(instance, jwt);
    }

    /// <summary>A client holding the browser session cookies (no redirects followed), as the web pages and viewer are.</summary>
    public static async Task<HttpClient> SessionAsync(TestInstance instance, string name, string password)
    {
        var client = CookieClient(instance);
        using var response = await client.PostAsJsonAsync("/api/auth/local/login", new { name, password });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"login of {name} answered {(int)response.StatusCode}: {text}");
        return client;
    }

    /// <summary>
    /// A new account with password <see cref="PasswordOf"/>(name), logged in with a Bearer token. It logs in by a
    /// unique e-mail, so several accounts may share a name.
    /// </summary>
    public static async Task<(Guid Id, HttpClient Client)> UserAsync(TestInstance instance, string name, bool admin = false)
    {
        var id = await TestData.AccountAsync(instance, name, admin);
        var email = $"{id:N}@tests.invalid";
        var account = new Account { Id = id, Name = name };
        await using (var conn = new NpgsqlConnection(instance.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("UPDATE accounts SET email = @email, password_hash = @hash WHERE id = @id", conn);
            cmd.Parameters.AddWithValue("email", email);
            cmd.Parameters.AddWithValue("hash", new PasswordHasher<Account>().HashPassword(account, PasswordOf(name)));
            cmd.Parameters.AddWithValue("id", id);
            await cmd.ExecuteNonQueryAsync();
        }
        return (id, await LoginAsync(instance, email, PasswordOf(name)));
    }

    /// <summary>The first admin of the instance (name <c>admin</c>, <see cref="TestInstance.AdminPassword"/>).</summary>
    public static Task<HttpClient> AdminAsync(TestInstance instance) => LoginAsync(instance, "admin", TestInstance.AdminPassword);

    public static HttpClient BearerClient(TestInstance instance, string jwt)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        return client;
    }

    /// <summary>The antiforgery token of the form on <paramref name="page"/> (the client keeps the cookie that goes with it).</summary>
    public static async Task<string> FormTokenAsync(HttpClient browser, string page)
    {
        var html = await browser.GetStringAsync(page);
        var m = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        Assert.True(m.Success, html);
        return WebUtility.HtmlDecode(m.Groups[1].Value);
    }

    /// <summary>A client with its own cookie jar that does not follow redirects (tests look at them).</summary>
    public static HttpClient CookieClient(TestInstance instance) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };
}
