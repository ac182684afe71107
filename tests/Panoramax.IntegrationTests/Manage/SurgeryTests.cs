using System.Net;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;
using static Panoramax.IntegrationTests.Manage.ManageFixture;

namespace Panoramax.IntegrationTests.Manage;

public class SurgeryTests(ManageFixture f) : IClassFixture<ManageFixture>
{
    private static List<int> Ranks(JsonElement items) =>
        items.GetProperty("features").EnumerateArray().Select(i => i.GetProperty("properties").GetProperty("geovisio:rank_in_collection").GetInt32()).ToList();

    private async Task<string?> LineAsync(Guid sequence) =>
        await f.ScalarAsync<string>("SELECT ST_AsText(geometry) FROM sequences WHERE id = @id", ("id", sequence));

    private async Task<string?> ExpectedLineAsync(IEnumerable<Guid> pictures) =>
        await f.ScalarAsync<string>("SELECT ST_AsText(ST_MakeLine(location ORDER BY array_position(@ids, id))) FROM pictures WHERE id = ANY(@ids)", ("ids", pictures.ToArray()));

    [Fact]
    public async Task Cut_makes_two_sequences_with_consecutive_ranks_and_unchanged_picture_ids()
    {
        var seq = await f.SeedAsync(5);
        var json = await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Post, $"/api/collections/{seq.Id}/cut", new { item_id = seq.PictureIds[2] }));
        var collections = json.GetProperty("collections").EnumerateArray().ToList();
        Assert.Equal(2, collections.Count);
        Assert.Equal(seq.Id.ToString(), collections[0].GetProperty("id").GetString());
        var second = Guid.Parse(collections[1].GetProperty("id").GetString()!);

        Assert.Equal(seq.PictureIds.Take(2).Select(i => i.ToString()), await ItemIdsAsync(f.Http, seq.Id));
        Assert.Equal(seq.PictureIds.Skip(2).Select(i => i.ToString()), await ItemIdsAsync(f.Http, second));
        Assert.Equal([1, 2], Ranks(await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items")));
        Assert.Equal([1, 2, 3], Ranks(await JsonAsync(f.Http, $"/api/collections/{second}/items")));
        Assert.Equal(await ExpectedLineAsync(seq.PictureIds.Take(2)), await LineAsync(seq.Id));
        Assert.Equal(await ExpectedLineAsync(seq.PictureIds.Skip(2)), await LineAsync(second));
        Assert.Equal(3, (await JsonAsync(f.Http, $"/api/collections/{second}")).GetProperty("stats:items").GetProperty("count").GetInt32());
        // prev/next links follow the new sequences.
        var last = await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items/{seq.PictureIds[1]}");
        Assert.DoesNotContain(last.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "next");
        Assert.Equal("upsert", (await f.ChangeLogAsync(second))[^1].Op);
        Assert.Equal("upsert", (await f.ChangeLogAsync(seq.PictureIds[3]))[^1].Op);
    }

    [Fact]
    public async Task Merge_orders_pictures_by_date_and_leaves_a_tombstone()
    {
        var spot = NewSpot();
        var later = await f.SeedAsync(2, at: (spot.Lon + 0.001, spot.Lat), start: Day.AddHours(1));
        var earlier = await f.SeedAsync(3, at: spot);
        var json = await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Post, $"/api/collections/{later.Id}/merge", new { collection_id = earlier.Id }));
        Assert.Equal(5, json.GetProperty("stats:items").GetProperty("count").GetInt32());
        var expected = earlier.PictureIds.Concat(later.PictureIds).ToList();
        Assert.Equal(expected.Select(i => i.ToString()), await ItemIdsAsync(f.Http, later.Id));
        Assert.Equal([1, 2, 3, 4, 5], Ranks(await JsonAsync(f.Http, $"/api/collections/{later.Id}/items")));
        Assert.Equal(await ExpectedLineAsync(expected), await LineAsync(later.Id));

        await JsonAsync(f.Http, $"/api/collections/{earlier.Id}", HttpStatusCode.NotFound);
        var list = await JsonAsync(f.Http, "/api/collections?show_deleted=true&limit=1000");
        var stub = Assert.Single(list.GetProperty("collections").EnumerateArray(), c => c.GetProperty("id").GetString() == earlier.Id.ToString());
        Assert.Equal("deleted", stub.GetProperty("geovisio:status").GetString());
        Assert.Equal("tombstone", (await f.ChangeLogAsync(earlier.Id))[^1].Op);
    }

    [Fact]
    public async Task Removing_pictures_moves_them_to_a_new_sequence_and_compacts_ranks()
    {
        var seq = await f.SeedAsync(4);
        var json = await OkJsonAsync(await SendJsonAsync(f.Owner, HttpMethod.Post, $"/api/collections/{seq.Id}/remove", new { item_ids = new[] { seq.PictureIds[1] } }));
        var created = Guid.Parse(json.GetProperty("collections")[1].GetProperty("id").GetString()!);
        Assert.Equal(new[] { 0, 2, 3 }.Select(i => seq.PictureIds[i].ToString()), await ItemIdsAsync(f.Http, seq.Id));
        Assert.Equal([1, 2, 3], Ranks(await JsonAsync(f.Http, $"/api/collections/{seq.Id}/items")));
        Assert.Equal([seq.PictureIds[1].ToString()], await ItemIdsAsync(f.Http, created));
    }

    [Fact]
    public async Task Cutting_at_a_picture_of_another_sequence_is_400()
    {
        var seq = await f.SeedAsync(3);
        var other = await f.SeedAsync(3);
        using var response = await SendJsonAsync(f.Owner, HttpMethod.Post, $"/api/collections/{seq.Id}/cut", new { item_id = other.PictureIds[1] });
        var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("not in sequence", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, (await ItemIdsAsync(f.Http, seq.Id)).Count);
    }

    [Fact]
    public async Task Merging_sequences_of_two_owners_is_400_even_for_an_admin()
    {
        var mine = await f.SeedAsync(2);
        var theirs = await f.SeedAsync(2, owner: f.OtherId);
        using var response = await SendJsonAsync(f.Admin, HttpMethod.Post, $"/api/collections/{mine.Id}/merge", new { collection_id = theirs.Id });
        var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("two different owners", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var asOwner = await SendJsonAsync(f.Owner, HttpMethod.Post, $"/api/collections/{mine.Id}/merge", new { collection_id = theirs.Id });
        await JsonAssert.IsApiErrorAsync(asOwner, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("cut", "{}")]
    [InlineData("cut", "{\"item_id\":\"nope\"}")]
    [InlineData("cut", "{\"item_id\":\"FIRST\"}")]
    [InlineData("merge", "{\"collection_id\":\"SELF\"}")]
    [InlineData("remove", "{\"item_ids\":[]}")]
    [InlineData("remove", "{\"item_ids\":\"FIRST\"}")]
    [InlineData("remove", "{\"item_ids\":[\"FIRST\",\"SECOND\"]}")]
    public async Task Bad_surgery_requests_get_400_with_a_message(string action, string template)
    {
        var seq = await f.SeedAsync(2);
        var body = template.Replace("FIRST", seq.PictureIds[0].ToString(), StringComparison.Ordinal)
            .Replace("SECOND", seq.PictureIds[1].ToString(), StringComparison.Ordinal)
            .Replace("SELF", seq.Id.ToString(), StringComparison.Ordinal);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await f.Owner.PostAsync($"/api/collections/{seq.Id}/{action}", content);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }
}
