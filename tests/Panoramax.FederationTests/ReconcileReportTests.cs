using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Reconcile;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>
/// Reconcile reports are stored in PostgreSQL (<c>federation_reconcile_reports</c>): they survive the process, the last
/// 50 per peer are kept, failures are stored with their error, and they go with the peer.
/// </summary>
public sealed class ReconcileReportTests(HostileNetwork net) : IClassFixture<HostileNetwork>
{
    private static readonly DateTimeOffset Day = new(2024, 11, 1, 8, 0, 0, TimeSpan.Zero);
    private FederatedInstance A => net.A;
    private FederatedInstance B => net.B;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string? ErrorOf(JsonElement report) =>
        report.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static DateTimeOffset Time(JsonElement report, string name) => report.GetProperty(name).GetDateTimeOffset();

    /// <summary>PostgreSQL keeps microseconds, .NET ticks: the same instant read back may differ below a microsecond.</summary>
    private static void SameInstant(DateTimeOffset expected, DateTimeOffset actual) =>
        Assert.True((expected - actual).Duration() < TimeSpan.FromMilliseconds(1), $"{expected:O} vs {actual:O}");

    /// <summary>A trusted peer of B whose federation port refuses connections (discard port 9 on loopback).</summary>
    private async Task<Guid> DeadPeerAsync()
    {
        using var key = InstanceKeyStore.FromSeed(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var id = Guid.CreateVersion7();
        var (scope, db) = B.OpenDb();
        await using (scope)
        {
            var now = TimeProvider.System.GetUtcNow();
            db.Instances.Add(new Instance
            {
                Id = id,
                Name = $"dead-{id:N}"[..16],
                BaseUrl = $"http://dead-{id:N}.invalid",
                PublicKey = key.PublicKey,
                IsPeer = true,
                Trust = PeerTrust.Trusted,
                FederationUrl = "http://127.0.0.1:9",
                CreatedAt = now,
                UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        return id;
    }

    private Task<long> StoredAsync(Guid peer) =>
        B.ScalarAsync<long>("SELECT count(*) FROM federation_reconcile_reports WHERE peer_id = @p", ("p", peer));

    [Fact]
    public async Task Reconcile_report_is_read_back_from_the_database_by_a_new_reconciler_and_over_HTTP()
    {
        var seq = await A.PublishAsync(TestData.Walk(5.0, 45.0, Day, 3), title: "reconciled walk");
        await Network.WaitUntilAsync(async () => (await B.SearchIdsAsync(seq.PictureIds)).Count == 3, "B holds A's walk");
        using var admin = await TestAuth.AdminAsync(B);

        var first = await JsonAsync(await admin.PostAsync($"/api/admin/peers/{A.Id}/reconcile", null));
        var second = await JsonAsync(await admin.PostAsync($"/api/admin/peers/{A.Id}/reconcile", null));
        Assert.Null(ErrorOf(second));
        Assert.True(second.GetProperty("ranges_compared").GetInt32() > 0, second.ToString());

        // A reconciler that never ran anything (as after a restart) reads the last report from the database.
        var fresh = ActivatorUtilities.CreateInstance<Reconciler>(B.Services);
        var stored = await fresh.LastReportAsync(A.Id, CancellationToken.None);
        Assert.NotNull(stored);
        SameInstant(Time(second, "started_at"), stored.StartedAt);
        SameInstant(Time(second, "finished_at"), stored.FinishedAt);
        Assert.Equal(second.GetProperty("ranges_compared").GetInt32(), stored.RangesCompared);
        Assert.Equal(second.GetProperty("digest_calls").GetInt32(), stored.DigestCalls);
        Assert.Null(stored.Error);

        var latest = await JsonAsync(await admin.GetAsync($"/api/admin/peers/{A.Id}/reconcile"));
        SameInstant(Time(second, "finished_at"), Time(latest, "finished_at"));
        Assert.Equal(second.GetProperty("ranges_compared").GetInt32(), latest.GetProperty("ranges_compared").GetInt32());
        Assert.Empty(latest.GetProperty("unrepairable_ranges").EnumerateArray());

        // History: newest first, as many as asked.
        var history = (await JsonAsync(await admin.GetAsync($"/api/admin/peers/{A.Id}/reconcile/history?limit=2"))).GetProperty("reports");
        Assert.Equal(2, history.GetArrayLength());
        SameInstant(Time(second, "finished_at"), Time(history[0], "finished_at"));
        SameInstant(Time(first, "finished_at"), Time(history[1], "finished_at"));
        var one = (await JsonAsync(await admin.GetAsync($"/api/admin/peers/{A.Id}/reconcile/history?limit=1"))).GetProperty("reports");
        SameInstant(Time(second, "finished_at"), Time(Assert.Single(one.EnumerateArray()), "finished_at"));

        // The peer list (the admin page) carries each peer's last reconcile.
        var peers = (await JsonAsync(await admin.GetAsync("/api/admin/peers"))).GetProperty("peers").EnumerateArray().ToList();
        var a = peers.Single(p => p.GetProperty("id").GetGuid() == A.Id);
        SameInstant(Time(second, "finished_at"), Time(a.GetProperty("last_reconcile"), "finished_at"));
    }

    [Fact]
    public async Task Reconcile_with_an_unreachable_peer_is_stored_with_its_error()
    {
        var dead = await DeadPeerAsync();
        using var admin = await TestAuth.AdminAsync(B);
        using (var none = await admin.GetAsync($"/api/admin/peers/{dead}/reconcile"))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        var report = await JsonAsync(await admin.PostAsync($"/api/admin/peers/{dead}/reconcile", null));

        Assert.False(string.IsNullOrEmpty(ErrorOf(report)), report.ToString());
        var stored = await JsonAsync(await admin.GetAsync($"/api/admin/peers/{dead}/reconcile"));
        Assert.Equal(ErrorOf(report), ErrorOf(stored));
        Assert.Equal(1L, await StoredAsync(dead));
        var listed = (await JsonAsync(await admin.GetAsync($"/api/admin/peers/{dead}"))).GetProperty("last_reconcile");
        Assert.Equal(ErrorOf(report), ErrorOf(listed));
    }

    [Fact]
    public async Task Only_the_last_50_reports_of_a_peer_are_kept_and_history_limit_is_checked()
    {
        var peer = await DeadPeerAsync();
        var other = await DeadPeerAsync();
        var store = B.Services.GetRequiredService<ReconcileReportStore>();
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        ReconcileReport Report(Guid p, int i) => new(p, start.AddMinutes(i), start.AddMinutes(i).AddSeconds(1), 1, i, 0, 1, 0, i % 3, 0,
            [new UnrepairableRange(Guid.Empty, i, i + 1, $"reason {i}")], i % 2 == 0 ? null : $"error {i}");
        await store.SaveAsync(Report(other, 0), CancellationToken.None);
        for (var i = 1; i <= ReconcileReportStore.KeptPerPeer + 5; i++)
        {
            await store.SaveAsync(Report(peer, i), CancellationToken.None);
        }

        Assert.Equal(50L, await StoredAsync(peer));
        Assert.Equal(1L, await StoredAsync(other));
        var all = await store.HistoryAsync(peer, 100, CancellationToken.None);
        Assert.Equal(Enumerable.Range(6, 50).Reverse().Select(i => start.AddMinutes(i)), all.Select(r => r.StartedAt));
        var (expected, newest) = (Report(peer, 55), all[0]);
        Assert.Equal((expected.PeerId, expected.FinishedAt, expected.OriginsCompared, expected.RangesCompared, expected.DifferingRanges, expected.DigestCalls,
                expected.EntriesFetched, expected.RecordsRepaired, expected.DeferredRanges, expected.Error),
            (newest.PeerId, newest.FinishedAt, newest.OriginsCompared, newest.RangesCompared, newest.DifferingRanges, newest.DigestCalls,
                newest.EntriesFetched, newest.RecordsRepaired, newest.DeferredRanges, newest.Error));
        Assert.Equal("reason 55", Assert.Single(all[0].UnrepairableRanges).Reason);

        using var admin = await TestAuth.AdminAsync(B);
        var fifty = (await JsonAsync(await admin.GetAsync($"/api/admin/peers/{peer}/reconcile/history?limit=50"))).GetProperty("reports");
        Assert.Equal(50, fifty.GetArrayLength());
        Assert.Equal("error 55", fifty[0].GetProperty("error").GetString());
        Assert.Equal(10, (await JsonAsync(await admin.GetAsync($"/api/admin/peers/{peer}/reconcile/history"))).GetProperty("reports").GetArrayLength());
        foreach (var bad in new[] { "0", "51", "-1", "ten", "2.5" })
        {
            using var refused = await admin.GetAsync($"/api/admin/peers/{peer}/reconcile/history?limit={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("limit must be a whole number from 1 to 50", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var unknown = await admin.GetAsync($"/api/admin/peers/{Guid.NewGuid()}/reconcile/history"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
    }

    [Fact]
    public async Task Reconcile_report_routes_are_for_administrators_only()
    {
        var (_, contributor) = await TestAuth.UserAsync(B, $"rr-{Guid.NewGuid():N}"[..16]);
        using (contributor)
        {
            foreach (var path in new[] { $"/api/admin/peers/{A.Id}/reconcile", $"/api/admin/peers/{A.Id}/reconcile/history" })
            {
                using var anonymous = await B.Http.GetAsync(path);
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                using var forbidden = await contributor.GetAsync(path);
                Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            }
        }
    }

    [Fact]
    public async Task Removing_a_peer_removes_its_reconcile_reports()
    {
        var removed = await DeadPeerAsync();
        var deleted = await DeadPeerAsync();
        var kept = await DeadPeerAsync();
        var store = B.Services.GetRequiredService<ReconcileReportStore>();
        var now = TimeProvider.System.GetUtcNow();
        foreach (var peer in new[] { removed, deleted, kept })
        {
            await store.SaveAsync(new ReconcileReport(peer, now, now, 0, 0, 0, 0, 0, 0, 0, [], "unreachable"), CancellationToken.None);
        }
        using var admin = await TestAuth.AdminAsync(B);

        using (var response = await admin.DeleteAsync($"/api/admin/peers/{removed}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        // The instance row itself going (the foreign key cascades).
        await B.ScalarAsync<int>("DELETE FROM instances WHERE id = @id", ("id", deleted));

        Assert.Equal(0L, await StoredAsync(removed));
        Assert.Equal(0L, await StoredAsync(deleted));
        Assert.Equal(1L, await StoredAsync(kept));
    }
}
