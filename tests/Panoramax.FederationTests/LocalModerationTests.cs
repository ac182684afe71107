using System.Net;
using System.Net.Http.Json;
using Panoramax.Domain.Federation;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>
/// What B's administrators may do with the copies of A's records: take them down here (a local decision that A's later
/// versions do not undo and that B does not pass on), but not edit or delete them (only A changes them).
/// </summary>
public sealed class LocalModerationTests(ChainNetwork net) : IClassFixture<ChainNetwork>
{
    private static readonly DateTimeOffset Day = new(2024, 7, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_takedown_on_B_of_A_picture_outlives_A_later_versions_and_stays_on_B()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(4.80, 45.75, Day, 2));
        var (taken, kept) = (seq.PictureIds[0], seq.PictureIds[1]);
        await Network.WaitUntilAsync(async () => (await net.C.SearchIdsAsync(seq.PictureIds)).Count == 2, "C has A's pictures through B");
        var versionOnB = await net.B.ScalarAsync<long>("SELECT version FROM pictures WHERE id = @id", ("id", taken));

        using var admin = await TestAuth.AdminAsync(net.B);
        using (var takedown = await admin.PostAsJsonAsync("/api/moderation/takedown", new { picture_id = taken, reason = "Unlawful here" }))
        {
            Assert.True(takedown.IsSuccessStatusCode, await takedown.Content.ReadAsStringAsync());
        }
        Assert.Equal([kept], await net.B.SearchIdsAsync(seq.PictureIds));
        // Kept at A's version, and nothing about it in B's own feed.
        Assert.Equal(versionOnB, await net.B.ScalarAsync<long>("SELECT version FROM pictures WHERE id = @id", ("id", taken)));
        Assert.Equal(0L, await net.B.ScalarAsync<long>(
            "SELECT count(*) FROM change_log WHERE entity_id = @id AND origin_instance_id = (SELECT id FROM instances WHERE is_self)", ("id", taken)));

        // A changes the picture: B takes the new version and keeps it hidden.
        await net.A.ChangeAsync(EntityKind.Picture, taken, ChangeOp.Upsert, "UPDATE pictures SET heading = 123, version = version + 1 WHERE id = @id");
        await Network.WaitUntilAsync(async () => await net.B.ScalarAsync<double?>("SELECT heading FROM pictures WHERE id = @id", ("id", taken)) == 123,
            "B applies A's new version");
        Assert.Equal([kept], await net.B.SearchIdsAsync(seq.PictureIds));
        using (var item = await net.B.Http.GetAsync($"/api/collections/{seq.Id}/items/{taken}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, item.StatusCode);
        }
        // B's decision is B's: C, which copies A's signed entries through B, still shows the picture.
        await Network.WaitUntilAsync(async () => await net.C.ScalarAsync<double?>("SELECT heading FROM pictures WHERE id = @id", ("id", taken)) == 123,
            "C applies A's new version through B");
        Assert.Equal(2, (await net.C.SearchIdsAsync(seq.PictureIds)).Count);

        // Restored on B: shown again, at A's latest version.
        using (var restore = await admin.PostAsJsonAsync("/api/moderation/restore", new { picture_id = taken, reason = "Court order lifted" }))
        {
            Assert.True(restore.IsSuccessStatusCode, await restore.Content.ReadAsStringAsync());
        }
        Assert.Equal(2, (await net.B.SearchIdsAsync(seq.PictureIds)).Count);

        // The same for a whole sequence: taken down on B, renamed on A, still hidden on B, then restored.
        using (var takedown = await admin.PostAsJsonAsync("/api/moderation/takedown", new { sequence_id = seq.Id, reason = "Unlawful here" }))
        {
            Assert.True(takedown.IsSuccessStatusCode, await takedown.Content.ReadAsStringAsync());
        }
        Assert.Empty(await net.B.SearchIdsAsync(seq.PictureIds));
        await net.A.ChangeAsync(EntityKind.Sequence, seq.Id, ChangeOp.Upsert, "UPDATE sequences SET title = 'Renamed on A', version = version + 1 WHERE id = @id");
        await Network.WaitUntilAsync(async () => await net.B.ScalarAsync<string>("SELECT title FROM sequences WHERE id = @id", ("id", seq.Id)) == "Renamed on A",
            "B applies A's new sequence version");
        Assert.Empty(await net.B.SearchIdsAsync(seq.PictureIds));
        using (var collection = await net.B.Http.GetAsync($"/api/collections/{seq.Id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, collection.StatusCode);
        }
        using (var restore = await admin.PostAsJsonAsync("/api/moderation/restore", new { sequence_id = seq.Id, reason = "Court order lifted" }))
        {
            Assert.True(restore.IsSuccessStatusCode, await restore.Content.ReadAsStringAsync());
        }
        Assert.Equal(2, (await net.B.SearchIdsAsync(seq.PictureIds)).Count);
        Assert.Equal(0L, await net.B.ScalarAsync<long>(
            "SELECT count(*) FROM change_log WHERE entity_id = @id AND origin_instance_id = (SELECT id FROM instances WHERE is_self)", ("id", seq.Id)));
    }

    [Fact]
    public async Task Edits_and_deletes_on_B_of_A_records_are_refused_with_where_to_go()
    {
        var seq = await net.A.PublishAsync(TestData.Walk(4.81, 45.76, Day, 2), title: "Lyon walk");
        await Network.WaitUntilAsync(async () => (await net.B.SearchIdsAsync(seq.PictureIds)).Count == 2, "B has A's pictures");
        var before = await net.B.ScalarAsync<string>(
            "SELECT string_agg(id::text || version || visibility || status || coalesce(heading::text, ''), ',' ORDER BY id) FROM pictures WHERE sequence_id = @id", ("id", seq.Id));

        using var admin = await TestAuth.AdminAsync(net.B);
        var picture = $"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}";
        foreach (var request in new[]
        {
            new HttpRequestMessage(HttpMethod.Patch, picture) { Content = JsonContent.Create(new { heading = 10 }) },
            new HttpRequestMessage(HttpMethod.Delete, picture),
            new HttpRequestMessage(HttpMethod.Patch, $"/api/collections/{seq.Id}") { Content = JsonContent.Create(new { title = "Renamed on B" }) },
            new HttpRequestMessage(HttpMethod.Delete, $"/api/collections/{seq.Id}"),
        })
        {
            using var response = await admin.SendAsync(request);
            var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.Conflict);
            var message = error.GetProperty("message").GetString()!;
            Assert.Contains(net.A.Name, message, StringComparison.Ordinal);
            Assert.Contains("takedown", message, StringComparison.Ordinal);
        }

        Assert.Equal(before, await net.B.ScalarAsync<string>(
            "SELECT string_agg(id::text || version || visibility || status || coalesce(heading::text, ''), ',' ORDER BY id) FROM pictures WHERE sequence_id = @id", ("id", seq.Id)));
        Assert.Equal("Lyon walk", (await net.B.GetJsonAsync($"/api/collections/{seq.Id}")).GetProperty("title").GetString());
        Assert.Equal(0L, await net.B.ScalarAsync<long>(
            "SELECT count(*) FROM change_log WHERE entity_id = @id AND origin_instance_id = (SELECT id FROM instances WHERE is_self)", ("id", seq.Id)));
    }
}
