using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Panoramax.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Panoramax.IntegrationTests.Auth;

/// <summary>A fake openstreetmap.org (authorize, token, user details) for the OAuth dance.</summary>
public static class FakeOsm
{
    public const string DisplayName = "Osm Mapper é";
    public const int UserId = 4242;

    public static WireMockServer Start()
    {
        var server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/oauth2/authorize").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(302)
                .WithHeader("Location", "{{request.query.redirect_uri}}?code=fake-code&state={{request.query.state}}")
                .WithTransformer());
        server.Given(Request.Create().WithPath("/oauth2/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("""{"access_token":"osm-access-token","token_type":"Bearer","scope":"read_prefs"}"""));
        server.Given(Request.Create().WithPath("/api/0.6/user/details.json").UsingGet().WithHeader("Authorization", "Bearer osm-access-token"))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(JsonSerializer.Serialize(new { version = "0.6", user = new { id = UserId, display_name = DisplayName } })));
        return server;
    }
}

/// <summary>An instance whose only login is (the fake) OpenStreetMap, like OSM France's.</summary>
public class OsmOnlyInstance : TestInstance
{
    public WireMockServer Osm { get; } = FakeOsm.Start();

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Auth:LocalAccounts", "false"),
        new("Panoramax:Auth:OpenStreetMap:ClientId", "osm-client"),
        new("Panoramax:Auth:OpenStreetMap:ClientSecret", "osm-secret"),
        new("Panoramax:Auth:OpenStreetMap:BaseUrl", Osm.Url!),
    ];

    public override async Task InitializeAsync() => await base.InitializeAsync();
}

public class OsmLoginTests(OsmOnlyInstance instance) : IClassFixture<OsmOnlyInstance>
{
    [Fact]
    public async Task Osm_only_instance_logs_in_through_osm_creating_then_finding_the_account()
    {
        for (var round = 0; round < 2; round++)
        {
            using var browser = TestAuth.CookieClient(instance);
            var me = await ExternalLoginFlow.LoginAsync(browser, "/api/auth/login?next_url=%2F%3Fpic%3D1", expectedLanding: "/?pic=1", provider: null);
            Assert.Equal(FakeOsm.DisplayName, me.GetProperty("name").GetString());
        }
        var (scope, db) = instance.OpenDb();
        await using var _ = scope;
        var link = await db.ExternalLogins.SingleAsync(l => l.Provider == "OpenStreetMap");
        Assert.Equal(FakeOsm.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture), link.Subject);
        Assert.Equal(1, await db.Accounts.CountAsync(a => a.Name == FakeOsm.DisplayName));
    }

    [Fact]
    public async Task Osm_only_instance_has_no_local_registration_or_login()
    {
        await JsonAssert.IsApiErrorAsync(await TestAuth.CookieClient(instance).PostAsJsonAsync("/api/auth/local/register", new { name = "x", password = "a long enough password" }), HttpStatusCode.Forbidden);
        await JsonAssert.IsApiErrorAsync(await TestAuth.CookieClient(instance).PostAsJsonAsync("/api/auth/local/login", new { name = "admin", password = TestInstance.AdminPassword }), HttpStatusCode.Forbidden);
    }
}

/// <summary>Same, for a mapper nobody else logs in as (its first login is what the test is about).</summary>
public sealed class OsmFirstLoginInstance : OsmOnlyInstance;

public class OsmFirstLoginTests(OsmFirstLoginInstance instance) : IClassFixture<OsmFirstLoginInstance>
{
    [Fact]
    public async Task Simultaneous_first_logins_of_one_mapper_make_one_account()
    {
        var flows = Enumerable.Range(0, 6).Select(async _ =>
        {
            using var browser = TestAuth.CookieClient(instance);
            var me = await ExternalLoginFlow.LoginAsync(browser, "/api/auth/login?next_url=%2F", expectedLanding: "/", provider: null);
            return me.GetProperty("id").GetString();
        });

        var ids = await Task.WhenAll(flows);

        Assert.Single(ids.Distinct());
        var (scope, db) = instance.OpenDb();
        await using var _ = scope;
        Assert.Equal(1, await db.ExternalLogins.CountAsync(l => l.Provider == "OpenStreetMap"));
        Assert.Equal(1, await db.Accounts.CountAsync(a => a.Name == FakeOsm.DisplayName));
    }
}

/// <summary>Walks a browser through login → provider → callback with separate cookie jars per site.</summary>
public static class ExternalLoginFlow
{
    public static async Task<JsonElement> LoginAsync(HttpClient browser, string loginPath, string expectedLanding, string? provider, HttpClient? providerBrowser = null)
    {
        using var start = await browser.GetAsync(provider is null ? loginPath : $"{loginPath}&provider={provider}");
        Assert.True(start.StatusCode == HttpStatusCode.Redirect, $"{(int)start.StatusCode}: {await start.Content.ReadAsStringAsync()}");
        var authorize = start.Headers.Location!;
        Assert.True(authorize.IsAbsoluteUri, authorize.ToString());

        using var atProvider = providerBrowser ?? new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var back = await atProvider.GetAsync(authorize);
        Assert.True(back.StatusCode == HttpStatusCode.Redirect, $"provider answered {(int)back.StatusCode}: {await back.Content.ReadAsStringAsync()}");
        var callback = back.Headers.Location!;
        Assert.Contains("/api/auth/redirect", callback.ToString(), StringComparison.Ordinal);

        using var landed = await browser.GetAsync(callback);
        Assert.True(landed.StatusCode == HttpStatusCode.Redirect, $"callback answered {(int)landed.StatusCode}: {await landed.Content.ReadAsStringAsync()}");
        Assert.Equal(expectedLanding, landed.Headers.Location!.OriginalString);
        Assert.Contains(landed.Headers.GetValues("Set-Cookie"), c => c.StartsWith("user_name=", StringComparison.Ordinal));

        using var me = await browser.GetAsync("/api/users/me");
        var text = await me.Content.ReadAsStringAsync();
        Assert.True(me.StatusCode == HttpStatusCode.OK, $"{(int)me.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}

/// <summary>An instance with settings given at construction (ports chosen beforehand, peers' URLs).</summary>
public sealed class ConfiguredInstance(IEnumerable<KeyValuePair<string, string>> settings) : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => settings;
}

/// <summary>Two real instances: one is the OpenID Connect provider of the other.</summary>
public sealed class OidcPair : IAsyncLifetime
{
    public ConfiguredInstance Provider { get; private set; } = null!;
    public ConfiguredInstance RelyingParty { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        int pPort = ServerProcess.FreePort(), rpPort = ServerProcess.FreePort();
        Provider = new ConfiguredInstance(
        [
            new("urls", $"http://127.0.0.1:{pPort}"),
            new("Panoramax:Auth:Server:Clients:0:ClientId", "rp"),
            new("Panoramax:Auth:Server:Clients:0:ClientSecret", "rp-secret"),
            new("Panoramax:Auth:Server:Clients:0:RedirectUris:0", $"http://127.0.0.1:{rpPort}/api/auth/redirect"),
        ]);
        RelyingParty = new ConfiguredInstance(
        [
            new("urls", $"http://127.0.0.1:{rpPort}"),
            new("Panoramax:Auth:Oidc:Issuer", $"http://127.0.0.1:{pPort}/"),
            new("Panoramax:Auth:Oidc:ClientId", "rp"),
            new("Panoramax:Auth:Oidc:ClientSecret", "rp-secret"),
            new("Panoramax:Auth:Oidc:DisplayName", "Panoramax peer"),
        ]);
        await Provider.InitializeAsync();
        await RelyingParty.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await RelyingParty.DisposeAsync();
        await Provider.DisposeAsync();
    }
}

public class OidcLoginTests(OidcPair pair) : IClassFixture<OidcPair>
{
    [Fact]
    public async Task Account_of_another_instance_logs_in_through_its_openid_connect_server()
    {
        var (remoteId, _) = await TestAuth.UserAsync(pair.Provider, "remote-person");
        using var atProvider = await TestAuth.SessionAsync(pair.Provider, $"{remoteId:N}@tests.invalid", TestAuth.PasswordOf("remote-person"));
        using var browser = TestAuth.CookieClient(pair.RelyingParty);

        var me = await ExternalLoginFlow.LoginAsync(browser, "/api/auth/login?next_url=%2F", expectedLanding: "/", provider: "oidc", providerBrowser: atProvider);

        Assert.Equal("remote-person", me.GetProperty("name").GetString());
        Assert.NotEqual(remoteId.ToString(), me.GetProperty("id").GetString());
        var (scope, db) = pair.RelyingParty.OpenDb();
        await using var _ = scope;
        Assert.Equal(remoteId.ToString(), (await db.ExternalLogins.SingleAsync(l => l.Provider == "oidc")).Subject);
    }
}
