using System.Net;
using Panoramax.IntegrationTests.Infrastructure;
using static Panoramax.IntegrationTests.Manage.ManageFixture;

namespace Panoramax.IntegrationTests.Manage;

public class DeleteTests(ManageFixture f) : IClassFixture<ManageFixture>
{
    private Task<long> QueuedDeleteJobsAsync(IEnumerable<Guid> pictures) =>
        f.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE kind = 'delete_picture_files' AND state = 'queued' AND target_id = ANY(@ids)", ("ids", pictures.ToArray()));

    [Fact]
    public async Task Deleted_sequence_is_gone_from_every_public_route_at_once_and_stays_as_a_tombstone()
    {
        var spot = NewSpot();
        var seq = await f.SeedAsync(3, at: spot);
        var pic = seq.PictureIds[0].ToString();
        Assert.Contains(pic, (await TilesAsync(f.Http, spot)).Pictures);

        using (var response = await f.Owner.DeleteAsync($"/api/collections/{seq.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        foreach (var client in new[] { f.Http, f.Other, f.Owner })
        {
            Assert.DoesNotContain(pic, await SearchAsync(client, spot));
            var tiles = await TilesAsync(client, spot);
            Assert.DoesNotContain(pic, tiles.Pictures);
            Assert.DoesNotContain(seq.Id.ToString(), tiles.Sequences);
            await JsonAsync(client, $"/api/collections/{seq.Id}", HttpStatusCode.NotFound);
            await JsonAsync(client, $"/api/collections/{seq.Id}/items/{pic}", HttpStatusCode.NotFound);
            using var file = await client.GetAsync($"/api/pictures/{pic}/hd.jpg");
            Assert.Equal(HttpStatusCode.NotFound, file.StatusCode);
        }
        Assert.DoesNotContain(seq.Id.ToString(), await f.RssAsync(), StringComparison.Ordinal);
        var list = await JsonAsync(f.Http, "/api/collections?show_deleted=true&limit=1000");
        var stub = Assert.Single(list.GetProperty("collections").EnumerateArray(), c => c.GetProperty("id").GetString() == seq.Id.ToString());
        Assert.Equal("deleted", stub.GetProperty("geovisio:status").GetString());
        var harvest = await JsonAsync(f.Http, "/api/collections?limit=1000&filter=" + Uri.EscapeDataString("status IN ('deleted','ready') AND updated >= '2020-01-01'"));
        Assert.Contains(harvest.GetProperty("collections").EnumerateArray(), c => c.GetProperty("id").GetString() == seq.Id.ToString());

        Assert.Equal("tombstone", (await f.ChangeLogAsync(seq.Id))[^1].Op);
        Assert.All(seq.PictureIds, p => Assert.Equal("tombstone", f.ChangeLogAsync(p).GetAwaiter().GetResult()[^1].Op));
        Assert.Equal(3, await QueuedDeleteJobsAsync(seq.PictureIds));
    }

    [Fact]
    public async Task Deleted_picture_leaves_its_sequence_and_search_and_its_files_are_queued_for_removal()
    {
        var spot = NewSpot();
        var seq = await f.SeedAsync(3, at: spot);
        var pic = seq.PictureIds[1];
        using (var response = await f.Owner.DeleteAsync($"/api/collections/{seq.Id}/items/{pic}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        Assert.Equal([seq.PictureIds[0].ToString(), seq.PictureIds[2].ToString()], await ItemIdsAsync(f.Http, seq.Id));
        Assert.DoesNotContain(pic.ToString(), await SearchAsync(f.Http, spot));
        Assert.DoesNotContain(pic.ToString(), (await TilesAsync(f.Owner, spot)).Pictures);
        await JsonAsync(f.Owner, $"/api/pictures/{pic}", HttpStatusCode.NotFound);
        Assert.Equal(2, (await JsonAsync(f.Http, $"/api/collections/{seq.Id}")).GetProperty("stats:items").GetProperty("count").GetInt32());
        var prev = await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}");
        var next = Assert.Single(prev.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "next");
        Assert.Equal(seq.PictureIds[2].ToString(), next.GetProperty("id").GetString());
        Assert.Equal(1, await QueuedDeleteJobsAsync([pic]));
        Assert.Equal("tombstone", (await f.ChangeLogAsync(pic))[^1].Op);
        Assert.Equal("waiting-for-delete", await f.ScalarAsync<string>("SELECT status FROM pictures WHERE id = @id", ("id", pic)));
    }

    [Fact]
    public async Task Deleting_twice_is_404_and_deleting_others_pictures_is_403()
    {
        var seq = await f.SeedAsync(2);
        using (var r = await f.Other.DeleteAsync($"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.Forbidden);
        }
        using (var r = await f.Admin.DeleteAsync($"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        using (var r = await f.Owner.DeleteAsync($"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.NotFound);
        }
        using (var r = await f.Owner.DeleteAsync($"/api/collections/{seq.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }
        using (var r = await f.Owner.DeleteAsync($"/api/collections/{seq.Id}"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.NotFound);
        }
    }
}
