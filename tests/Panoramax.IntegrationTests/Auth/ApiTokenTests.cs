using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Panoramax.Auth.Tokens;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Auth;

public class ApiTokenTests(TestInstance instance) : IClassFixture<TestInstance>
{
    [Fact]
    public async Task Token_made_while_logged_in_works_as_bearer_on_users_me()
    {
        var (id, client) = await TestAuth.UserAsync(instance, "token-user");
        using var _ = client;
        using var response = await client.GetAsync("/api/users/me");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var me = JsonDocument.Parse(text).RootElement;
        Assert.Equal(id.ToString(), me.GetProperty("id").GetString());
        Assert.Equal("token-user", me.GetProperty("name").GetString());
        Assert.Equal("user", me.GetProperty("permissions").GetProperty("role").GetString());
        Assert.Equal("anyone", me.GetProperty("default_visibility").GetString());
    }

    [Fact]
    public async Task Admin_helper_logs_in_the_first_admin()
    {
        using var admin = await TestAuth.AdminAsync(instance);
        var me = await (await admin.GetAsync("/api/users/me")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("admin", me.GetProperty("permissions").GetProperty("role").GetString());
    }

    [Fact]
    public async Task Revoked_token_is_refused_with_401_at_the_next_call()
    {
        var (_, client) = await TestAuth.UserAsync(instance, "revoker");
        using var _ = client;
        var tokens = await client.GetFromJsonAsync<JsonElement>("/api/users/me/tokens");
        var created = await (await client.PostAsJsonAsync("/api/users/me/tokens", new { description = "to revoke" })).Content.ReadFromJsonAsync<JsonElement>();
        var tokenId = created.GetProperty("id").GetString();
        using var victim = TestAuth.BearerClient(instance, created.GetProperty("jwt_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync("/api/users/me")).StatusCode);

        var listed = await client.GetFromJsonAsync<JsonElement>("/api/users/me/tokens");
        Assert.Equal(tokens.GetArrayLength() + 1, listed.GetArrayLength());
        var shown = await client.GetFromJsonAsync<JsonElement>($"/api/users/me/tokens/{tokenId}");
        Assert.Equal("to revoke", shown.GetProperty("description").GetString());
        Assert.False(shown.TryGetProperty("jwt_token", out var _), "the JWT is only shown when made");

        using var revoke = await client.DeleteAsync($"/api/users/me/tokens/{tokenId}");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal("token revoked", (await revoke.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString());

        using var after = await victim.GetAsync("/api/users/me");
        var error = await JsonAssert.IsApiErrorAsync(after, HttpStatusCode.Unauthorized);
        Assert.Equal("Token not valid", error.GetProperty("message").GetString());
        await JsonAssert.IsApiErrorAsync(await client.DeleteAsync($"/api/users/me/tokens/{tokenId}"), HttpStatusCode.NotFound);
    }

    public static TheoryData<string> BadHeaders => new()
    {
        "Bearer garbage",
        "Bearer ",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJnZW92aXNpbyIsInN1YiI6IjAxOTAwMDAwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMCJ9.",
        "Bearer OTHER_SECRET",
        "Bearer OWN_SECRET_UNKNOWN_ID",
        "Bearer OWN_SECRET_NOT_A_UUID",
        "Bearer OWN_SECRET_OTHER_JTI",
        "Bearer OTHER_ISSUER",
        "Bearer a b c",
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public async Task Bad_bearer_tokens_get_401_json_on_every_route(string header)
    {
        var (_, client) = await TestAuth.UserAsync(instance, "forged-victim");
        var real = client.DefaultRequestHeaders.Authorization!.Parameter!;
        var realTokenId = new JsonWebToken(real).Subject;
        var secret = Convert.FromBase64String(await File.ReadAllTextAsync(Path.Combine(instance.DataDirectory, "keys", TokenSigningKey.FileName)));
        header = header
            .Replace("OTHER_SECRET", Jwt(RandomNumberGenerator.GetBytes(64), "geovisio", realTokenId), StringComparison.Ordinal)
            .Replace("OWN_SECRET_UNKNOWN_ID", Jwt(secret, "geovisio", Guid.NewGuid().ToString()), StringComparison.Ordinal)
            .Replace("OWN_SECRET_NOT_A_UUID", Jwt(secret, "geovisio", "root"), StringComparison.Ordinal)
            .Replace("OWN_SECRET_OTHER_JTI", Jwt(secret, "geovisio", realTokenId), StringComparison.Ordinal)
            .Replace("OTHER_ISSUER", Jwt(secret, "someone-else", realTokenId), StringComparison.Ordinal);
        foreach (var path in new[] { "/api/users/me", "/api/collections", "/api/users/me/tokens", "/api/search?limit=1" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await instance.Http.SendAsync(request);
            var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.Unauthorized);
            Assert.Equal("Token not valid", error.GetProperty("message").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("details").GetProperty("error").GetString()));
        }
    }

    [Theory]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    [InlineData("Token abc")]
    [InlineData("garbage")]
    public async Task Other_authorization_schemes_are_refused_with_401(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/collections");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await instance.Http.SendAsync(request);
        var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Only Bearer token are supported", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Generated_token_is_refused_until_claimed_then_works()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };
        var generated = await (await anonymous.PostAsync("/api/auth/tokens/generate?description=my%20cli", null)).Content.ReadFromJsonAsync<JsonElement>();
        var jwt = generated.GetProperty("jwt_token").GetString()!;
        Assert.Equal("my cli", generated.GetProperty("description").GetString());
        var claim = new Uri(JsonAssert.Links(generated, "claim").Single().GetProperty("href").GetString()!);
        using var cli = TestAuth.BearerClient(instance, jwt);

        await JsonAssert.IsApiErrorAsync(await cli.GetAsync("/api/users/me"), HttpStatusCode.Forbidden);

        // Opened in a browser without a session: off to the login page, coming back here afterwards.
        using var notLogged = await anonymous.GetAsync(claim);
        Assert.Equal(HttpStatusCode.Redirect, notLogged.StatusCode);
        Assert.StartsWith("/api/auth/login?next_url=", notLogged.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var (id, _) = await TestAuth.UserAsync(instance, "cli-user");
        using var browser = await TestAuth.SessionAsync(instance, $"{id:N}@tests.invalid", TestAuth.PasswordOf("cli-user"));
        using var page = await browser.GetAsync(claim);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("my cli", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await JsonAssert.IsApiErrorAsync(await cli.GetAsync("/api/users/me"), HttpStatusCode.Forbidden);

        using var accept = await browser.PostAsync(claim, null);
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var me = await cli.GetFromJsonAsync<JsonElement>("/api/users/me");
        Assert.Equal(id.ToString(), me.GetProperty("id").GetString());

        // Someone else cannot take it over.
        var (_, other) = await TestAuth.UserAsync(instance, "thief");
        using var stolen = await other.PostAsync(claim, null);
        Assert.Equal(HttpStatusCode.Forbidden, stolen.StatusCode);
    }

    private static string Jwt(byte[] secret, string issuer, string sub) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
            JsonSerializer.Serialize(new { iss = issuer, sub, jti = Guid.NewGuid().ToString("N") }),
            new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256));
}
