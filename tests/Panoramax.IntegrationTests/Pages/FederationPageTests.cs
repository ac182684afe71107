using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Server.Federation;

namespace Panoramax.IntegrationTests.Pages;

/// <summary>
/// The administrators' federation page (<c>/admin/federation</c>) and the identity route it reads
/// (<c>/api/admin/federation</c>) over real HTTP. The anonymous redirect and the served script are pinned with the
/// other pages in <see cref="ManagePagesTests"/>; what the page does in a browser with two instances is pinned by
/// the E2E test FederationPageJourneyTests.
/// </summary>
public sealed class FederationPageTests(TestInstance instance) : IClassFixture<TestInstance>
{
    [Fact]
    public async Task Federation_page_is_html_with_its_script_and_linked_in_the_nav_for_an_admin()
    {
        using var admin = await TestAuth.SessionAsync(instance, "admin", TestInstance.AdminPassword);

        using var page = await admin.GetAsync("/admin/federation");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("""<script src="/pages/federation.js"></script>""", html, StringComparison.Ordinal);
        Assert.Contains("""role="status""", html, StringComparison.Ordinal);
        Assert.Contains("""<a href="/admin/federation" aria-current="page">Federation</a>""", html, StringComparison.Ordinal);
        Assert.Contains("""id="add-peer""", html, StringComparison.Ordinal);
        Assert.Contains("""id="sources-table""", html, StringComparison.Ordinal);
        Assert.Contains("""id="licenses-table""", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Federation_page_is_a_403_page_for_a_contributor_and_absent_from_their_nav()
    {
        var name = $"fed-{Guid.NewGuid():N}"[..16];
        using var _ = (await TestAuth.UserAsync(instance, name)).Client;
        using var contributor = await TestAuth.SessionAsync(instance, name, TestAuth.PasswordOf(name));

        using var refused = await contributor.GetAsync("/admin/federation");
        var account = await contributor.GetStringAsync("/account");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("text/html", refused.Content.Headers.ContentType!.MediaType);
        var refusal = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Only administrators", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("federation.js", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("""href="/admin/federation""", account, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_route_gives_what_Hello_gives_peers_with_the_key_fingerprint()
    {
        using var admin = await TestAuth.AdminAsync(instance);

        using var json = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/federation"));

        var me = json.RootElement;
        var key = instance.Services.GetRequiredService<InstanceKeyStore>().PublicKey;
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var self = db.Instances.Single(i => i.IsSelf);
            Assert.Equal(self.Id.ToString(), me.GetProperty("instance_id").GetString());
            Assert.Equal(self.Name, me.GetProperty("name").GetString());
        }
        Assert.Equal("instance", me.GetProperty("role").GetString());
        Assert.Equal(instance.Services.GetRequiredService<FederationEndpoint>().BoundUrl, me.GetProperty("federation_url").GetString());
        Assert.Equal(Convert.ToHexStringLower(key), me.GetProperty("public_key").GetString());
        var hash = Convert.ToHexStringLower(SHA256.HashData(key));
        var fingerprint = me.GetProperty("key_fingerprint").GetString()!;
        Assert.Matches("^([0-9a-f]{4}:){7}[0-9a-f]{4}$", fingerprint);
        Assert.Equal(hash[..32], fingerprint.Replace(":", "", StringComparison.Ordinal));
        Assert.Contains("changes.v1", me.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task Identity_route_is_401_for_anonymous_callers_and_403_for_contributors()
    {
        var (_, contributor) = await TestAuth.UserAsync(instance, "fed-curious");
        using (contributor)
        {
            using var forbidden = await contributor.GetAsync("/api/admin/federation");
            await JsonAssert.IsApiErrorAsync(forbidden, HttpStatusCode.Forbidden);
        }

        using var anonymous = await instance.Http.GetAsync("/api/admin/federation");

        await JsonAssert.IsApiErrorAsync(anonymous, HttpStatusCode.Unauthorized);
    }
}
