using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Auth;

/// <summary>An instance with one web app (public client, code + PKCE) and one peer (client credentials) registered.</summary>
public sealed class OAuthInstance : TestInstance
{
    public const string AppRedirect = "http://127.0.0.1/callback";

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Auth:Server:Clients:0:ClientId", "test-app"),
        new("Panoramax:Auth:Server:Clients:0:RedirectUris:0", AppRedirect),
        new("Panoramax:Auth:Server:Clients:1:ClientId", "peer"),
        new("Panoramax:Auth:Server:Clients:1:ClientSecret", "peer-secret"),
        new("Panoramax:Auth:Server:Clients:1:Grants:0", "client_credentials"),
        new("Panoramax:Auth:Server:Clients:1:Scopes:0", "api"),
    ];
}

public class OAuthServerTests(OAuthInstance instance) : IClassFixture<OAuthInstance>
{
    [Fact]
    public async Task Discovery_document_announces_the_flows_and_keys()
    {
        var doc = await instance.GetJsonAsync("/.well-known/openid-configuration");
        Assert.Equal(instance.BaseUrl.ToString(), doc.GetProperty("issuer").GetString());
        Assert.EndsWith("/oauth/authorize", doc.GetProperty("authorization_endpoint").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/oauth/token", doc.GetProperty("token_endpoint").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/oauth/revoke", doc.GetProperty("revocation_endpoint").GetString(), StringComparison.Ordinal);
        var grants = doc.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()).ToList();
        Assert.Contains("authorization_code", grants);
        Assert.Contains("refresh_token", grants);
        Assert.Contains("client_credentials", grants);
        Assert.Contains("S256", doc.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(g => g.GetString()));

        // The signing key is the one kept in var/keys (not regenerated at each start).
        var jwks = await instance.GetJsonAsync(new Uri(doc.GetProperty("jwks_uri").GetString()!).PathAndQuery);
        using var rsa = RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(instance.DataDirectory, "keys", "oidc-signing.pem")));
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()).AsSpan(0, 16).ToArray());
        Assert.Contains(kid, jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()));
    }

    [Fact]
    public async Task Code_flow_with_pkce_gives_tokens_that_work_on_the_api_refresh_and_revoke()
    {
        var (userId, _) = await TestAuth.UserAsync(instance, "oauth-user");
        using var browser = await TestAuth.SessionAsync(instance, $"{userId:N}@tests.invalid", TestAuth.PasswordOf("oauth-user"));
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var authorize = QueryHelpers.AddQueryString("/oauth/authorize", new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = "test-app",
            ["redirect_uri"] = OAuthInstance.AppRedirect,
            ["scope"] = "openid profile offline_access api",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = "xyz",
        });

        // Not logged in: off to the login route, which will come back here.
        using (var anonymous = TestAuth.CookieClient(instance))
        {
            using var toLogin = await anonymous.GetAsync(authorize);
            Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
            Assert.StartsWith("/api/auth/login?next_url=%2Foauth%2Fauthorize%3F", toLogin.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using var redirect = await browser.GetAsync(authorize);
        Assert.True(redirect.StatusCode == HttpStatusCode.Redirect, await redirect.Content.ReadAsStringAsync());
        var callback = redirect.Headers.Location!;
        Assert.StartsWith(OAuthInstance.AppRedirect, callback.ToString(), StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("xyz", query["state"].ToString());

        using var http = new HttpClient { BaseAddress = instance.BaseUrl };
        var tokens = await TokenAsync(http, new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = query["code"].ToString(),
            ["redirect_uri"] = OAuthInstance.AppRedirect,
            ["client_id"] = "test-app",
            ["code_verifier"] = verifier,
        });
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("id_token").GetString()));
        var access = tokens.GetProperty("access_token").GetString()!;
        Assert.Equal(userId.ToString(), (await MeAsync(access)).GetProperty("id").GetString());

        var refreshed = await TokenAsync(http, new()
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens.GetProperty("refresh_token").GetString()!,
            ["client_id"] = "test-app",
        });
        var access2 = refreshed.GetProperty("access_token").GetString()!;
        Assert.Equal(userId.ToString(), (await MeAsync(access2)).GetProperty("id").GetString());

        using var revoke = await http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = access2, ["client_id"] = "test-app" }));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using var bearer = TestAuth.BearerClient(instance, access2);
        await JsonAssert.IsApiErrorAsync(await bearer.GetAsync("/api/users/me"), HttpStatusCode.Unauthorized);

        using var revokeRefresh = await http.PostAsync("/oauth/revoke", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = refreshed.GetProperty("refresh_token").GetString()!, ["client_id"] = "test-app" }));
        Assert.Equal(HttpStatusCode.OK, revokeRefresh.StatusCode);
        using var refreshAgain = await http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshed.GetProperty("refresh_token").GetString()!,
            ["client_id"] = "test-app",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, refreshAgain.StatusCode);
    }

    [Fact]
    public async Task Peer_gets_a_client_credentials_token_accepted_by_the_api_as_nobodys_account()
    {
        using var http = new HttpClient { BaseAddress = instance.BaseUrl };
        var tokens = await TokenAsync(http, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "peer",
            ["client_secret"] = "peer-secret",
            ["scope"] = "api",
        });
        using var peer = TestAuth.BearerClient(instance, tokens.GetProperty("access_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await peer.GetAsync("/api/collections")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await peer.GetAsync("/api/users/me/tokens")).StatusCode);

        using var wrong = await http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "peer", ["client_secret"] = "not-the-secret",
        }));
        Assert.True(wrong.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{(int)wrong.StatusCode}");
    }

    private async Task<JsonElement> MeAsync(string accessToken)
    {
        using var client = TestAuth.BearerClient(instance, accessToken);
        using var response = await client.GetAsync("/api/users/me");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> TokenAsync(HttpClient http, Dictionary<string, string> form)
    {
        using var response = await http.PostAsync("/oauth/token", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token endpoint answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
