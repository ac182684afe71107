using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using Panoramax.Domain.Instances;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;

namespace Panoramax.IntegrationTests.Federation;

/// <summary>
/// One instance holding records of a fake origin (rows written as a sync would, then moved to that origin) next to
/// its own records. The licence filter is set through the admin API; the routes are read as anonymous and as admin.
/// </summary>
public sealed class LicenseFilterFixture : TestInstance
{
    public static readonly DateTimeOffset Day = new(2024, 4, 2, 8, 0, 0, TimeSpan.Zero);
    public Guid OriginId { get; } = Guid.CreateVersion7();
    public Guid Owner { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Owner = await TestData.AccountAsync(this, "walker");
        var (scope, db) = OpenDb();
        await using (scope)
        {
            var now = TimeProvider.System.GetUtcNow();
            db.Instances.Add(new Instance
            {
                Id = OriginId, Name = "far-away", BaseUrl = "http://far-away.invalid", Trust = PeerTrust.Trusted, IsPeer = false,
                CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
    }

    /// <summary>A sequence of the fake origin with this licence on the sequence (its pictures inherit it, as replicated copies name it).</summary>
    public async Task<SeededSequence> ReplicatedAsync(double lon, double lat, string? license, string? pictureLicense = null)
    {
        var seq = await TestData.SequenceAsync(this, Owner, TestData.Walk(lon, lat, Day, 2), $"{license} walk");
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            UPDATE sequences SET origin_instance_id = @o, license = @l WHERE id = @s;
            UPDATE pictures SET origin_instance_id = @o, license = coalesce(@pl, @l) WHERE sequence_id = @s;
            """, conn);
        cmd.Parameters.AddWithValue("o", OriginId);
        cmd.Parameters.AddWithValue("s", seq.Id);
        cmd.Parameters.Add(new NpgsqlParameter("l", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)license ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("pl", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)pictureLicense ?? DBNull.Value });
        await cmd.ExecuteNonQueryAsync();
        return seq;
    }
}

public sealed class LicenseFilterTests(LicenseFilterFixture instance) : IClassFixture<LicenseFilterFixture>
{
    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, Guid id, string json) =>
        await client.PutAsync($"/api/admin/peers/{id}/licenses", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<HashSet<Guid>> SearchAsync(HttpClient client, IEnumerable<Guid> ids)
    {
        var json = JsonDocument.Parse(await client.GetStringAsync($"/api/search?limit=100&ids={string.Join(',', ids)}")).RootElement;
        return [.. json.GetProperty("features").EnumerateArray().Select(f => Guid.Parse(f.GetProperty("id").GetString()!))];
    }

    private static async Task<HashSet<string>> TilePicturesAsync(HttpClient client, double lon, double lat)
    {
        var (x, y) = Mvt.TileOf(lon, lat, 15);
        var layers = Mvt.Decode(await client.GetByteArrayAsync($"/api/map/15/{x}/{y}.mvt"));
        return [.. layers.GetValueOrDefault("pictures", []).Select(f => f.Properties["id"].ToString()!)];
    }

    [Fact]
    public async Task Filtered_origin_records_vanish_from_every_route_even_for_admins_and_come_back_when_relaxed()
    {
        var shareAlike = await instance.ReplicatedAsync(5.0001, 45.0001, "CC-BY-SA-4.0");
        var cc0 = await instance.ReplicatedAsync(5.0003, 45.0003, "CC0-1.0");
        var unknown = await instance.ReplicatedAsync(5.0005, 45.0005, null);
        // Own records are never filtered, whatever their licence.
        var own = await TestData.SequenceAsync(instance, instance.Owner, TestData.Walk(5.0007, 45.0007, LicenseFilterFixture.Day, 2), "own");
        var all = new[] { shareAlike, cc0, unknown, own }.SelectMany(s => s.PictureIds).ToList();
        using var admin = await TestAuth.AdminAsync(instance);
        Assert.Equal(all.ToHashSet(), await SearchAsync(instance.Http, all));

        // Case does not matter: licence ids are compared case-insensitively.
        using (var put = await PutAsync(admin, instance.OriginId, """{"accepted_licenses": ["cc0-1.0"]}"""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var body = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(["cc0-1.0"], body.GetProperty("accepted_licenses").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(2, body.GetProperty("hidden_sequences").GetInt64());
        }
        // Written after the filter was set (the trigger's path, as a sync applying new entries).
        var lateShareAlike = await instance.ReplicatedAsync(5.0009, 45.0009, "CC-BY-SA-4.0");
        // A picture licensed otherwise than its accepted sequence is hidden on its own.
        var mixed = await instance.ReplicatedAsync(5.0011, 45.0011, "CC0-1.0", pictureLicense: "CC-BY-4.0");
        all.AddRange(lateShareAlike.PictureIds.Concat(mixed.PictureIds));

        var shown = cc0.PictureIds.Concat(own.PictureIds).ToHashSet();
        foreach (var client in new[] { instance.Http, admin })
        {
            Assert.Equal(shown, await SearchAsync(client, all));
            foreach (var hidden in new[] { shareAlike, unknown, lateShareAlike })
            {
                using var collection = await client.GetAsync($"/api/collections/{hidden.Id}");
                Assert.Equal(HttpStatusCode.NotFound, collection.StatusCode);
                using var item = await client.GetAsync($"/api/collections/{hidden.Id}/items/{hidden.PictureIds[0]}");
                Assert.Equal(HttpStatusCode.NotFound, item.StatusCode);
                using var thumb = await client.GetAsync($"/api/collections/{hidden.Id}/thumb.jpg");
                Assert.Equal(HttpStatusCode.NotFound, thumb.StatusCode);
            }
            using (var mixedItem = await client.GetAsync($"/api/collections/{mixed.Id}/items/{mixed.PictureIds[0]}"))
            {
                Assert.Equal(HttpStatusCode.NotFound, mixedItem.StatusCode);
            }
            var tile = await TilePicturesAsync(client, 5.0005, 45.0005);
            Assert.Contains(cc0.PictureIds[0].ToString(), tile);
            Assert.Contains(own.PictureIds[0].ToString(), tile);
            Assert.DoesNotContain(shareAlike.PictureIds[0].ToString(), tile);
            Assert.DoesNotContain(lateShareAlike.PictureIds[0].ToString(), tile);
            var listed = JsonDocument.Parse(await client.GetStringAsync("/api/collections?limit=1000&bbox=4.99,44.99,5.01,45.01")).RootElement
                .GetProperty("collections").EnumerateArray().Select(c => Guid.Parse(c.GetProperty("id").GetString()!)).ToHashSet();
            Assert.Contains(cc0.Id, listed);
            Assert.Contains(own.Id, listed);
            Assert.DoesNotContain(shareAlike.Id, listed);
            Assert.DoesNotContain(unknown.Id, listed);
        }

        // The peers list and the origins list show the filter.
        var origins = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/origins")).RootElement.GetProperty("origins");
        var origin = origins.EnumerateArray().Single(o => o.GetProperty("id").GetGuid() == instance.OriginId);
        Assert.Equal("relayed", origin.GetProperty("kind").GetString());
        Assert.Equal("cc0-1.0", origin.GetProperty("accepted_licenses")[0].GetString());

        // Relaxing brings everything back at once: the rows were kept, only flagged.
        using (var relax = await PutAsync(admin, instance.OriginId, """{"accepted_licenses": null}"""))
        {
            Assert.Equal(HttpStatusCode.OK, relax.StatusCode);
        }
        Assert.Equal(all.ToHashSet(), await SearchAsync(instance.Http, all));
        Assert.Contains(shareAlike.PictureIds[0].ToString(), await TilePicturesAsync(instance.Http, 5.0001, 45.0001));
        using var back = await instance.Http.GetAsync($"/api/collections/{lateShareAlike.Id}");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"accepted_licenses": "CC0-1.0"}""", "list of licence ids" },
        { """{"accepted_licenses": [""]}""", "non-empty" },
        { """{"accepted_licenses": ["  "]}""", "non-empty" },
        { """{"accepted_licenses": [1]}""", "strings" },
        { """{"accepted_licenses": ["CC0\u0007-1.0"]}""", "control character" },
        { """{"accepted_licenses": ["CC0 1.0"]}""", "space" },
        { "{\"accepted_licenses\": [" + string.Join(',', Enumerable.Range(0, 51).Select(i => $"\"L-{i}\"")) + "]}", "At most 50" },
        { """{"licenses": ["CC0-1.0"]}""", "accepted_licenses" },
        { """["CC0-1.0"]""", "accepted_licenses" },
        { "not json", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_licence_filters_are_refused_with_a_clear_400(string body, string says)
    {
        using var admin = await TestAuth.AdminAsync(instance);
        using var response = await PutAsync(admin, instance.OriginId, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(says, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Licence_filter_is_for_admins_and_known_other_instances_only()
    {
        using (var anonymous = await PutAsync(instance.Http, instance.OriginId, """{"accepted_licenses": null}"""))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        var (_, user) = await TestAuth.UserAsync(instance, "not-an-admin");
        using (user)
        using (var forbidden = await PutAsync(user, instance.OriginId, """{"accepted_licenses": null}"""))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        using var admin = await TestAuth.AdminAsync(instance);
        using (var unknown = await PutAsync(admin, Guid.NewGuid(), """{"accepted_licenses": ["CC0-1.0"]}"""))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        // Our own records are never filtered: this instance is not a target.
        var self = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/federation")).RootElement.GetProperty("instance_id").GetGuid();
        using (var own = await PutAsync(admin, self, """{"accepted_licenses": ["CC0-1.0"]}"""))
        {
            Assert.Equal(HttpStatusCode.NotFound, own.StatusCode);
        }
        // Not a legacy source: the sources route refuses it.
        using var notSource = await admin.PutAsJsonAsync($"/api/admin/sources/{instance.OriginId}/licenses", new { accepted_licenses = (string[]?)null });
        Assert.Equal(HttpStatusCode.NotFound, notSource.StatusCode);
    }
}
