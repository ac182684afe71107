using System.Net;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;
using static Panoramax.IntegrationTests.Manage.ManageFixture;

namespace Panoramax.IntegrationTests.Manage;

public class EditTests(ManageFixture f) : IClassFixture<ManageFixture>
{
    [Fact]
    public async Task Title_edit_is_visible_in_stac_and_appended_to_the_change_log()
    {
        var seq = await f.SeedAsync(3);
        var body = await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}", new { title = "Renamed walk" }));
        Assert.Equal("Renamed walk", body.GetProperty("title").GetString());
        var pub = await JsonAsync(f.Http, $"/api/collections/{seq.Id}");
        Assert.Equal("Renamed walk", pub.GetProperty("title").GetString());
        var log = await f.ChangeLogAsync(seq.Id);
        Assert.Equal(("upsert", await f.ScalarAsync<long>("SELECT version FROM sequences WHERE id = @id", ("id", seq.Id))), log[^1]);
    }

    [Fact]
    public async Task Hidden_sequence_leaves_search_tiles_items_files_and_rss_but_its_owner_and_admins_still_see_it()
    {
        var spot = NewSpot();
        var seq = await f.SeedAsync(3, at: spot);
        var pic = seq.PictureIds[0].ToString();
        Assert.Contains(pic, await SearchAsync(f.Http, spot));
        Assert.Contains(pic, (await TilesAsync(f.Http, spot)).Pictures);
        Assert.Contains(seq.Id.ToString(), await f.RssAsync(), StringComparison.Ordinal);
        var counted = await f.GridCountAsync(spot, settleFirst: true);
        Assert.True(counted >= 3, $"the grid counts {counted} pictures around the walk");

        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}", new { visibility = "owner-only" }));
        // The low-zoom grid too, by the time the edit answers.
        Assert.Equal(counted - 3, await f.GridCountAsync(spot));

        Assert.DoesNotContain(pic, await SearchAsync(f.Http, spot));
        var tiles = await TilesAsync(f.Http, spot);
        Assert.DoesNotContain(pic, tiles.Pictures);
        Assert.DoesNotContain(seq.Id.ToString(), tiles.Sequences);
        await JsonAsync(f.Http, $"/api/collections/{seq.Id}", HttpStatusCode.NotFound);
        await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items/{pic}", HttpStatusCode.NotFound);
        await JsonAsync(f.Other, $"/api/collections/{seq.Id}/items", HttpStatusCode.NotFound);
        using (var file = await f.Http.GetAsync($"/api/pictures/{pic}/sd.jpg"))
        {
            Assert.Equal(HttpStatusCode.NotFound, file.StatusCode);
        }
        Assert.DoesNotContain(seq.Id.ToString(), await f.RssAsync(), StringComparison.Ordinal);
        Assert.Equal(3, (await ItemIdsAsync(f.Owner, seq.Id)).Count);
        Assert.Equal(3, (await ItemIdsAsync(f.Admin, seq.Id)).Count);
        Assert.Equal("tombstone", (await f.ChangeLogAsync(seq.Id))[^1].Op);
        Assert.Equal("tombstone", (await f.ChangeLogAsync(seq.PictureIds[0]))[^1].Op);
    }

    [Fact]
    public async Task Hidden_picture_leaves_public_routes_and_comes_back_when_shown_again()
    {
        var spot = NewSpot();
        var seq = await f.SeedAsync(3, at: spot);
        var pic = seq.PictureIds[1];
        var path = $"/api/collections/{seq.Id}/items/{pic}";
        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, path, new { visibility = "owner-only" }));
        Assert.DoesNotContain(pic.ToString(), await SearchAsync(f.Http, spot));
        Assert.DoesNotContain(pic.ToString(), (await TilesAsync(f.Http, spot)).Pictures);
        Assert.Equal(2, (await ItemIdsAsync(f.Http, seq.Id)).Count);
        await JsonAsync(f.Other, path, HttpStatusCode.NotFound);

        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, path, new { visible = "true" }));
        Assert.Contains(pic.ToString(), await SearchAsync(f.Http, spot));
        Assert.Contains(pic.ToString(), (await TilesAsync(f.Http, spot)).Pictures);
    }

    [Fact]
    public async Task Reordering_by_descending_date_reverses_ranks_and_the_sequence_line()
    {
        var seq = await f.SeedAsync(4);
        var before = await JsonAsync(f.Http, $"/api/collections/{seq.Id}");
        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}", new { sortby = "-gpsdate" }));
        var ids = await ItemIdsAsync(f.Http, seq.Id);
        Assert.Equal(seq.PictureIds.Reverse().Select(i => i.ToString()), ids);
        var items = await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items");
        Assert.Equal([1, 2, 3, 4], items.GetProperty("features").EnumerateArray().Select(i => i.GetProperty("properties").GetProperty("geovisio:rank_in_collection").GetInt32()));
        var after = await JsonAsync(f.Owner, $"/api/collections/{seq.Id}");
        Assert.Equal("-gpsdate", after.GetProperty("geovisio:sorted-by").GetString());
        Assert.Equal(before.GetProperty("extent").GetRawText(), after.GetProperty("extent").GetRawText());
        var first = f.ScalarAsync<string>("SELECT ST_AsText(ST_StartPoint(geometry)) FROM sequences WHERE id = @id", ("id", seq.Id));
        var lastPicture = f.ScalarAsync<string>("SELECT ST_AsText(location) FROM pictures WHERE id = @id", ("id", seq.PictureIds[^1]));
        Assert.Equal(await lastPicture, await first);
    }

    [Theory]
    [InlineData("{\"sortby\":\"+altitude\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"visibility\":\"everyone\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"visibility\":\"logged-only\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"visibility\":\"anyone\",\"visible\":\"true\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"relative_heading\":500}", HttpStatusCode.BadRequest)]
    [InlineData("{\"title\":\"\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"semantics\":[{\"key\":\"\"}]}", HttpStatusCode.BadRequest)]
    [InlineData("[1,2]", HttpStatusCode.BadRequest)]
    [InlineData("{nope", HttpStatusCode.BadRequest)]
    public async Task Bad_collection_edits_get_400_with_a_message(string body, HttpStatusCode expected)
    {
        var seq = await f.SeedAsync(2);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await f.Owner.PatchAsync($"/api/collections/{seq.Id}", content);
        await JsonAssert.IsApiErrorAsync(response, expected);
    }

    [Fact]
    public async Task Editing_someone_elses_sequence_is_403_and_an_invisible_one_404()
    {
        var seq = await f.SeedAsync(2);
        using (var r = await SendJsonAsync(f.Other, HttpMethod.Patch, $"/api/collections/{seq.Id}", new { title = "mine now" }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await f.Other.DeleteAsync($"/api/collections/{seq.Id}"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await SendJsonAsync(f.Other, HttpMethod.Patch, $"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}", new { heading = 10 }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await SendJsonAsync(f.Http, HttpMethod.Patch, $"/api/collections/{seq.Id}", new { title = "anon" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        var hidden = await TestData.SequenceAsync(f, f.OwnerId, TestData.Walk(NewSpot().Lon, 45, Day, 2), "private", visibility: "owner-only");
        using (var r = await SendJsonAsync(f.Other, HttpMethod.Patch, $"/api/collections/{hidden.Id}", new { title = "x" }))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.NotFound);
        }
        Assert.Equal("Managed", (await JsonAsync(f.Http, $"/api/collections/{seq.Id}")).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Admin_can_edit_any_sequence()
    {
        var seq = await f.SeedAsync(2);
        var body = await OkJsonAsync(await SendJsonAsync(f.Admin, HttpMethod.Patch, $"/api/collections/{seq.Id}", new { title = "Moderated title" }));
        Assert.Equal("Moderated title", body.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Moving_a_picture_updates_tiles_extent_and_change_log()
    {
        var spot = NewSpot();
        var target = (Lon: spot.Lon + 0.02, Lat: spot.Lat + 0.02);
        var seq = await f.SeedAsync(3, at: spot);
        var pic = seq.PictureIds[2];
        _ = await TilesAsync(f.Http, target); // warm the tile cache: the edit must invalidate it
        var item = await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}/items/{pic}",
            new { longitude = target.Lon, latitude = target.Lat, heading = 123, capture_time = "2024-06-01T12:30:00+02:00" }));
        Assert.Equal(target.Lon, item.GetProperty("geometry").GetProperty("coordinates")[0].GetDouble(), 6);
        Assert.Equal(123, item.GetProperty("properties").GetProperty("view:azimuth").GetInt32());
        Assert.Contains(pic.ToString(), (await TilesAsync(f.Http, target)).Pictures);
        Assert.DoesNotContain(pic.ToString(), (await TilesAsync(f.Http, spot)).Pictures);
        var collection = await JsonAsync(f.Http, $"/api/collections/{seq.Id}");
        var bbox = collection.GetProperty("extent").GetProperty("spatial").GetProperty("bbox")[0];
        Assert.Equal(target.Lon, bbox[2].GetDouble(), 6);
        Assert.Equal("2024-06-01T10:30:00+00:00", item.GetProperty("properties").GetProperty("datetime").GetString());
        Assert.Equal(("upsert", 2L), (await f.ChangeLogAsync(pic))[^1]);
        Assert.Equal("upsert", (await f.ChangeLogAsync(seq.Id))[^1].Op);
    }

    [Fact]
    public async Task Any_logged_user_can_tag_a_visible_picture_and_tags_replace_by_delete_then_add()
    {
        var seq = await f.SeedAsync(2);
        var path = $"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}";
        await OkJsonAsync(await SendJsonAsync(f.Other, HttpMethod.Patch, path, new { semantics = new object[] { new { key = "osm|traffic_sign", value = "yes" }, new { key = "a", value = "1" } } }));
        var item = await OkJsonAsync(await SendJsonAsync(f.Other, HttpMethod.Patch, path, new { semantics = new object[] { new { key = "a", value = "1", action = "delete" }, new { key = "a", value = "2" } } }));
        var tags = item.GetProperty("properties").GetProperty("semantics").EnumerateArray().Select(t => $"{t.GetProperty("key").GetString()}={t.GetProperty("value").GetString()}");
        Assert.Equal(["a=2", "osm|traffic_sign=yes"], tags);
        var search = await JsonAsync(f.Http, "/api/search?filter=" + Uri.EscapeDataString("\"semantics.a\"='2'"));
        Assert.Contains(search.GetProperty("features").EnumerateArray(), i => i.GetProperty("id").GetString() == seq.PictureIds[0].ToString());
    }

    [Fact]
    public async Task Empty_item_edit_is_304()
    {
        var seq = await f.SeedAsync(2);
        using var response = await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}", new { });
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"heading\":400}")]
    [InlineData("{\"longitude\":2}")]
    [InlineData("{\"latitude\":95,\"longitude\":2}")]
    [InlineData("{\"capture_time\":\"yesterday\"}")]
    [InlineData("{\"visibility\":\"nobody\"}")]
    [InlineData("{\"semantics\":[{\"key\":\"k\",\"value\":\"v\",\"action\":\"replace\"}]}")]
    public async Task Bad_item_edits_get_400_with_a_message(string body)
    {
        var seq = await f.SeedAsync(2);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await f.Owner.PatchAsync($"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}", content);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Form_edits_are_accepted_like_geovisio()
    {
        var seq = await f.SeedAsync(2);
        using var form = new FormUrlEncodedContent([new("title", "From a form")]);
        using var response = await f.Owner.PatchAsync($"/api/collections/{seq.Id}", form);
        var json = await OkJsonAsync(response);
        Assert.Equal("From a form", json.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Relative_heading_points_every_picture_along_the_movement_plus_the_offset()
    {
        // The walk goes north-east (azimuth ≈ 41° on the ground at these latitudes); a side camera looks 90° to the right of it.
        var seq = await f.SeedAsync(3);
        await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Patch, $"/api/collections/{seq.Id}", new { relative_heading = 90 }));
        var items = await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items");
        var headings = items.GetProperty("features").EnumerateArray().Select(i => i.GetProperty("properties").GetProperty("view:azimuth").GetInt32()).ToList();
        Assert.All(headings, h => Assert.InRange(h, 125, 137));
        Assert.Equal("upsert", (await f.ChangeLogAsync(seq.PictureIds[0]))[^1].Op);
    }
}
