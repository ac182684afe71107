using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Server.Federation;

namespace Panoramax.E2ETests;

/// <summary>An instance named as a test network member, its gRPC port bound (as every test instance).</summary>
public sealed class NamedInstance(string name, IEnumerable<KeyValuePair<string, string>>? extraSettings = null) : TestInstance
{
    public string Name { get; } = name;

    /// <summary>The bound federation URL peers add.</summary>
    public string FederationUrl => Services.GetRequiredService<FederationEndpoint>().BoundUrl!;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [new("Panoramax:Instance:Name", Name), .. extraSettings ?? []];
}

/// <summary>
/// Two real instances: A (which also harvests a legacy GeoVisio instance that does not answer) and B, unknown to
/// each other. Class fixture of <see cref="FederationPageJourneyTests"/>.
/// </summary>
public sealed class TwoInstances : IAsyncLifetime
{
    public const string LegacyName = "Old GeoVisio";

    public NamedInstance A { get; } = new("Instance A",
    [
        new("Panoramax:Aggregator:Sources:0:Url", "http://127.0.0.1:9/geovisio"),
        new("Panoramax:Aggregator:Sources:0:Name", LegacyName),
        new("Panoramax:Aggregator:Sources:0:Interval", "01:00:00"),
    ]);

    public NamedInstance B { get; } = new("Instance B");

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

/// <summary>
/// The administrators' federation page in Debian's chromium (issue 10 §2): the admin of A logs in through the real
/// form, reads A's identity, adds B by its federation URL, sees B pending with the key fingerprint B's own admin reads,
/// confirms it (the row shows trusted), reconciles with it (the row shows the stored report), then blocks it (the row
/// shows blocked) and removes it; the legacy source's row offers "harvest now"; a legacy source added through the
/// form is listed as harvested, then removed. Screenshots go to artifacts/e2e/.
/// </summary>
public sealed class FederationPageJourneyTests(TwoInstances net) : IClassFixture<TwoInstances>
{
    private static readonly string Artifacts = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    [Fact]
    public async Task Admin_adds_a_peer_by_url_confirms_its_key_then_blocks_and_removes_it()
    {
        Directory.CreateDirectory(Artifacts);
        var b = await IdentityAsync(net.B);
        var a = await IdentityAsync(net.A);
        await using var session = await PageSession.OpenAsync(net.A);
        var page = session.Page;

        // The page sends the anonymous visitor to the login form, and back once logged in as an admin.
        await ManagePagesJourneyTests.LogInThroughAsync(page, "/admin/federation", "admin", TestInstance.AdminPassword);

        // A's identity, as B will pin it.
        await Assertions.Expect(page.Locator("#identity-name")).ToHaveTextAsync("Instance A");
        await Assertions.Expect(page.Locator("#identity-id")).ToHaveTextAsync(a.GetProperty("instance_id").GetString()!);
        await Assertions.Expect(page.Locator("#identity-federation-url")).ToHaveTextAsync(net.A.FederationUrl);
        await Assertions.Expect(page.Locator("#identity-fingerprint")).ToHaveTextAsync(a.GetProperty("key_fingerprint").GetString()!);
        await Assertions.Expect(page.Locator("#peers-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Federation" })).ToHaveAttributeAsync("aria-current", "page");
        // The legacy source is listed with what went wrong (nothing listens there) and can be harvested now.
        var legacy = page.Locator("#sources tr", new() { HasText = TwoInstances.LegacyName });
        await Assertions.Expect(legacy).ToContainTextAsync("http://127.0.0.1:9/geovisio");
        await Assertions.Expect(legacy).ToContainTextAsync("0 sequences, 0 pictures");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federation-1-identity.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = $"Harvest {TwoInstances.LegacyName} now" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync($"The harvest of {TwoInstances.LegacyName} started: reload the page to see how it went.");

        // Add B by its federation URL: it is pending, with the key B's admin reads on B's own page.
        var bId = b.GetProperty("instance_id").GetString()!;
        var fingerprint = b.GetProperty("key_fingerprint").GetString()!;
        await page.GetByLabel("Federation URL of a new peer").FillAsync(net.B.FederationUrl);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add peer" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Instance B answered with key fingerprint {fingerprint}");
        var row = page.Locator($"#peers tr[data-id='{bId}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-trust", "pending");
        await Assertions.Expect(row).ToContainTextAsync("Pending");
        await Assertions.Expect(row).ToContainTextAsync(net.B.FederationUrl);
        await Assertions.Expect(row).ToContainTextAsync(b.GetProperty("public_key").GetString()!);
        await Assertions.Expect(row.Locator(".fingerprint")).ToHaveTextAsync(fingerprint);
        await Assertions.Expect(row.Locator(".lag")).ToHaveTextAsync("not synced yet");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federation-2-pending.png"), FullPage = true });

        // Confirm (the dialog repeats the fingerprint): trusted.
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm Instance B" }).ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-trust", "trusted");
        await Assertions.Expect(row.Locator(".trust")).ToHaveTextAsync("Trusted");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Instance B is trusted: it syncs now.");
        Assert.Contains(fingerprint, Assert.Single(session.Dialogs), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federation-3-trusted.png"), FullPage = true });

        // Reconcile: the row shows the stored report (B has not trusted A back, so there is little to compare: ok or failed).
        await Assertions.Expect(row.Locator(".reconcile")).ToHaveTextAsync("never");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reconcile Instance B" }).ClickAsync();
        await Assertions.Expect(row.Locator(".reconcile")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@": (ok, \d+ records repaired|failed: .+)"));
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("^(Reconciled with|Could not reconcile) Instance B"));

        // Block: blocked, and it may be trusted again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Block Instance B" }).ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-trust", "blocked");
        await Assertions.Expect(row.Locator(".trust")).ToHaveTextAsync("Blocked");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Trust again Instance B" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federation-4-blocked.png"), FullPage = true });
        using (var admin = await TestAuth.AdminAsync(net.A))
        {
            using var peer = JsonDocument.Parse(await admin.GetStringAsync($"/api/admin/peers/{bId}"));
            Assert.Equal("blocked", peer.RootElement.GetProperty("trust").GetString());
        }

        // Remove, after the confirm dialog: the table is empty again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove Instance B" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Instance B was removed.");
        await Assertions.Expect(page.Locator("#peers-empty")).ToBeVisibleAsync();
        Assert.Equal(2, session.Dialogs.Count);

        // A legacy source added on the page is harvested on its interval; the configured one cannot be removed here.
        await Assertions.Expect(legacy).ToHaveAttributeAsync("data-state", "configured");
        await Assertions.Expect(legacy.Locator(".state")).ToHaveTextAsync("every 01:00:00 (configuration)");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Remove {TwoInstances.LegacyName}" })).ToHaveCountAsync(0);
        await page.GetByLabel("Root URL of a legacy instance").FillAsync("http://127.0.0.1:9/other-geovisio");
        await page.GetByLabel("Name shown for its pictures (optional)").FillAsync("Added GeoVisio");
        await page.GetByLabel("Time between two harvests").FillAsync("02:00:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add source" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Added GeoVisio is harvested every 02:00:00; the first harvest has started.");
        var added = page.Locator("#sources tr", new() { HasText = "Added GeoVisio" });
        await Assertions.Expect(added).ToHaveAttributeAsync("data-state", "added");
        await Assertions.Expect(added.Locator(".state")).ToHaveTextAsync("every 02:00:00");
        await Assertions.Expect(added).ToContainTextAsync("http://127.0.0.1:9/other-geovisio");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "federation-5-source-added.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove Added GeoVisio" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Added GeoVisio is not harvested any more.");
        await Assertions.Expect(added).ToHaveAttributeAsync("data-state", "removed");
        await Assertions.Expect(added.Locator(".state")).ToHaveTextAsync("no: removed");
        Assert.Equal(3, session.Dialogs.Count);
        Assert.Empty(session.Errors);
    }

    private static async Task<JsonElement> IdentityAsync(TestInstance instance)
    {
        using var admin = await TestAuth.AdminAsync(instance);
        using var json = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/federation"));
        return json.RootElement.Clone();
    }
}
