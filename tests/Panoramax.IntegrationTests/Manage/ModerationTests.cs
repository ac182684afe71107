using System.Net;
using System.Net.Http.Json;
using NetTopologySuite.Geometries;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Manage;
using static Panoramax.IntegrationTests.Manage.ManageFixture;

namespace Panoramax.IntegrationTests.Manage;

public class ModerationTests(ManageFixture f) : IClassFixture<ManageFixture>
{
    private static async Task<Guid> ReportAsync(HttpClient client, Guid picture, string issue = "privacy")
    {
        var json = await OkJsonAsync(await client.PostAsJsonAsync("/api/reports", new { issue, picture_id = picture, reporter_email = "r@example.org" }));
        return Guid.Parse(json.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task Takedown_hides_the_picture_from_every_public_route_within_one_request_and_is_audited()
    {
        var spot = NewSpot();
        var seq = await f.SeedAsync(3, at: spot);
        var pic = seq.PictureIds[0];
        var report = await ReportAsync(f.Http, pic);
        Assert.Contains(pic.ToString(), (await TilesAsync(f.Http, spot)).Pictures);

        var action = await OkJsonAsync(await f.Admin.PostAsJsonAsync("/api/moderation/takedown", new { report_id = report, reason = "Face visible" }));
        Assert.Equal("takedown", action.GetProperty("kind").GetString());

        await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items/{pic}", HttpStatusCode.NotFound);
        Assert.DoesNotContain(pic.ToString(), await SearchAsync(f.Other, spot));
        Assert.DoesNotContain(pic.ToString(), (await TilesAsync(f.Http, spot)).Pictures);
        Assert.DoesNotContain(pic.ToString(), await ItemIdsAsync(f.Http, seq.Id));
        Assert.Equal("tombstone", (await f.ChangeLogAsync(pic))[^1].Op);

        var log = await JsonAsync(f.Admin, $"/api/moderation/actions?picture_id={pic}");
        var entry = Assert.Single(log.GetProperty("actions").EnumerateArray());
        Assert.Equal("Face visible", entry.GetProperty("reason").GetString());
        var closed = await JsonAsync(f.Admin, $"/api/reports/{report}");
        Assert.Equal("closed_solved", closed.GetProperty("status").GetString());

        // The owner cannot undo it; an admin can.
        using (var r = await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}/items/{pic}", new { visibility = "anyone" }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        await OkJsonAsync(await f.Admin.PostAsJsonAsync("/api/moderation/restore", new { picture_id = pic, reason = "Blurred again" }));
        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}/items/{pic}", new { visibility = "anyone" }));
        Assert.Contains(pic.ToString(), (await TilesAsync(f.Http, spot)).Pictures);
    }

    [Fact]
    public async Task Only_moderators_take_down()
    {
        var seq = await f.SeedAsync(2);
        using var response = await f.Owner.PostAsJsonAsync("/api/moderation/takedown", new { picture_id = seq.PictureIds[0], reason = "mine" });
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.Forbidden);
        using var noReason = await f.Admin.PostAsJsonAsync("/api/moderation/takedown", new { picture_id = seq.PictureIds[0] });
        await JsonAssert.IsApiErrorAsync(noReason, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Reports_follow_the_role_rules()
    {
        var seq = await f.SeedAsync(2);
        var report = await ReportAsync(f.Other, seq.PictureIds[1]);

        // Admins list everything; others may not.
        var all = await JsonAsync(f.Admin, "/api/reports?filter=" + Uri.EscapeDataString("status = 'open'"));
        Assert.Contains(all.GetProperty("reports").EnumerateArray(), r => r.GetProperty("id").GetString() == report.ToString());
        using (var r = await f.Owner.GetAsync("/api/reports"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await f.Http.GetAsync($"/api/reports/{report}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using (var r = await f.Admin.GetAsync("/api/reports?filter=" + Uri.EscapeDataString("colour = 'red'")))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }

        // The owner of the picture sees it in their list, without the reporter's e-mail, and may close it.
        var mine = await JsonAsync(f.Owner, "/api/users/me/reports");
        var seen = Assert.Single(mine.GetProperty("reports").EnumerateArray(), r => r.GetProperty("id").GetString() == report.ToString());
        Assert.False(seen.TryGetProperty("reporter_email", out _));
        using (var r = await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/reports/{report}", new { issue = "other" }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        var closed = await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/reports/{report}", new { status = "closed_ignored", resolver_comments = "Not a person" }));
        Assert.Equal("closed_ignored", closed.GetProperty("status").GetString());

        // The reporter sees it (with their e-mail); a stranger does not.
        var own = await JsonAsync(f.Other, $"/api/reports/{report}");
        Assert.Equal("r@example.org", own.GetProperty("reporter_email").GetString());
        var (_, stranger) = await TestAuth.UserAsync(f, "stranger");
        using (var r = await stranger.GetAsync($"/api/reports/{report}"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await SendJsonAsync(f.Other, HttpMethod.Patch, $"/api/reports/{report}", new { status = "closed_solved" }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await SendJsonAsync(f.Admin, HttpMethod.Patch, $"/api/reports/{report}", new { status = "done" }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        // Closed reports leave the default "me" list.
        var after = await JsonAsync(f.Owner, "/api/users/me/reports");
        Assert.DoesNotContain(after.GetProperty("reports").EnumerateArray(), r => r.GetProperty("id").GetString() == report.ToString());
    }

    private static object Square(double lon, double lat, double size, string? label = null, bool isPublic = true) => new
    {
        type = "Feature",
        properties = new { label, is_public = isPublic },
        geometry = new
        {
            type = "Polygon",
            coordinates = new[] { new[] { new[] { lon, lat }, new[] { lon + size, lat }, new[] { lon + size, lat + size }, new[] { lon, lat + size }, new[] { lon, lat } } },
        },
    };

    [Fact]
    public async Task Excluded_areas_refuse_points_for_everyone_or_only_for_their_owner()
    {
        var spot = NewSpot();
        var area = await OkJsonAsync(await f.Admin.PostAsJsonAsync("/api/configuration/excluded_areas", Square(spot.Lon, spot.Lat, 0.01, "Base")));
        var mine = await OkJsonAsync(await f.Owner.PostAsJsonAsync("/api/users/me/excluded_areas", Square(spot.Lon + 0.02, spot.Lat, 0.01, "Home")));

        var (scope, db) = f.OpenDb();
        await using (scope)
        {
            var inside = new Point(spot.Lon + 0.005, spot.Lat + 0.005) { SRID = 4326 };
            var home = new Point(spot.Lon + 0.025, spot.Lat + 0.005) { SRID = 4326 };
            var outside = new Point(spot.Lon - 0.5, spot.Lat) { SRID = 4326 };
            Assert.True(await ExcludedAreas.ContainsAsync(db, null, inside));
            Assert.True(await ExcludedAreas.ContainsAsync(db, f.OtherId, inside));
            Assert.True(await ExcludedAreas.ContainsAsync(db, f.OwnerId, home));
            Assert.False(await ExcludedAreas.ContainsAsync(db, f.OtherId, home));
            Assert.False(await ExcludedAreas.ContainsAsync(db, f.OwnerId, outside));
        }

        var listed = await JsonAsync(f.Http, "/api/configuration/excluded_areas");
        Assert.Contains(listed.GetProperty("features").EnumerateArray(), a => a.GetProperty("id").GetString() == area.GetProperty("id").GetString());
        var own = await JsonAsync(f.Owner, "/api/users/me/excluded_areas");
        Assert.Single(own.GetProperty("features").EnumerateArray());

        // Moving a picture into an excluded area is refused like an upload there.
        var seq = await f.SeedAsync(2);
        using (var r = await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}", new { longitude = spot.Lon + 0.005, latitude = spot.Lat + 0.005 }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }

        using (var r = await f.Owner.PostAsJsonAsync("/api/configuration/excluded_areas", Square(0, 0, 1)))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await f.Owner.PostAsJsonAsync("/api/users/me/excluded_areas", new { type = "Feature", geometry = new { type = "Point", coordinates = new[] { 1.0, 2.0 } } }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        using (var r = await f.Owner.PostAsJsonAsync("/api/users/me/excluded_areas", new { type = "Feature", geometry = new { type = "Polygon", coordinates = new[] { new[] { new[] { 0.0, 0.0 }, new[] { 1.0, 1.0 }, new[] { 1.0, 0.0 }, new[] { 0.0, 1.0 }, new[] { 0.0, 0.0 } } } } }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        using (var r = await f.Other.DeleteAsync($"/api/users/me/excluded_areas/{mine.GetProperty("id").GetString()}"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.NotFound);
        }
        using (var r = await f.Owner.DeleteAsync($"/api/users/me/excluded_areas/{mine.GetProperty("id").GetString()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        using (var r = await f.Admin.DeleteAsync($"/api/configuration/excluded_areas/{area.GetProperty("id").GetString()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
    }

    [Fact]
    public async Task Putting_excluded_areas_replaces_them_and_invert_allows_uploads_only_inside_the_given_areas()
    {
        var spot = NewSpot();
        async Task<bool> ExcludedAsync(double lon, double lat)
        {
            var (scope, db) = f.OpenDb();
            await using (scope)
            {
                return await ExcludedAreas.ContainsAsync(db, f.OtherId, new Point(lon, lat) { SRID = 4326 });
            }
        }

        var replaced = await OkJsonAsync(await SendJsonAsync(f.Admin, HttpMethod.Put, "/api/configuration/excluded_areas",
            new { type = "FeatureCollection", features = new[] { Square(spot.Lon, spot.Lat, 0.01, "A"), Square(spot.Lon + 0.02, spot.Lat, 0.01, "B", isPublic: false) } }));
        Assert.Equal(["A", "B"], replaced.GetProperty("features").EnumerateArray().Select(a => a.GetProperty("properties").GetProperty("label").GetString()!).ToArray());
        Assert.True(await ExcludedAsync(spot.Lon + 0.005, spot.Lat + 0.005));
        Assert.True(await ExcludedAsync(spot.Lon + 0.025, spot.Lat + 0.005));
        Assert.False(await ExcludedAsync(spot.Lon - 0.5, spot.Lat));
        Assert.Single((await JsonAsync(f.Http, "/api/configuration/excluded_areas")).GetProperty("features").EnumerateArray());

        // Inverted: the feature is the only place where uploads stay allowed.
        var inverted = await OkJsonAsync(await SendJsonAsync(f.Admin, HttpMethod.Put, "/api/configuration/excluded_areas?invert=true",
            new { type = "FeatureCollection", features = new[] { Square(spot.Lon, spot.Lat, 0.01, "Town") } }));
        var outside = Assert.Single(inverted.GetProperty("features").EnumerateArray());
        Assert.Equal("Outside Town", outside.GetProperty("properties").GetProperty("label").GetString());
        Assert.False(await ExcludedAsync(spot.Lon + 0.005, spot.Lat + 0.005));
        Assert.True(await ExcludedAsync(spot.Lon + 0.025, spot.Lat + 0.005));
        Assert.True(await ExcludedAsync(-120, -40));

        using (var r = await SendJsonAsync(f.Owner, HttpMethod.Put, "/api/configuration/excluded_areas", new { type = "FeatureCollection", features = Array.Empty<object>() }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await SendJsonAsync(f.Admin, HttpMethod.Put, "/api/configuration/excluded_areas", Square(0, 0, 1)))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        using (var r = await SendJsonAsync(f.Admin, HttpMethod.Put, "/api/configuration/excluded_areas?invert=true", new { type = "FeatureCollection", features = Array.Empty<object>() }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        using (var r = await SendJsonAsync(f.Admin, HttpMethod.Put, "/api/configuration/excluded_areas", new { type = "FeatureCollection", features = new object[] { Square(0, 0, 1), 3 } }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        // A refused replacement changed nothing; an empty collection clears them all.
        Assert.Single((await JsonAsync(f.Admin, "/api/configuration/excluded_areas?all=true")).GetProperty("features").EnumerateArray());
        var cleared = await OkJsonAsync(await SendJsonAsync(f.Admin, HttpMethod.Put, "/api/configuration/excluded_areas", new { type = "FeatureCollection", features = Array.Empty<object>() }));
        Assert.Empty(cleared.GetProperty("features").EnumerateArray());
    }
}
