using System.Net;
using System.Text.Json;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Stac;

public class ItemsTests(StacFixture f) : IClassFixture<StacFixture>
{
    private static List<string> FeatureIds(JsonElement fc) =>
        fc.GetProperty("features").EnumerateArray().Select(x => x.GetProperty("id").GetString()!).ToList();

    private static string? LinkId(JsonElement item, string rel) =>
        JsonAssert.Links(item, rel).Select(l => l.GetProperty("id").GetString()).FirstOrDefault();

    [Fact]
    public async Task Items_come_in_rank_order_without_hidden_pictures()
    {
        var fc = await f.GetJsonAsync($"/api/collections/{f.Flat1.Id}/items");

        Assert.Equal("FeatureCollection", fc.GetProperty("type").GetString());
        var expected = f.Flat1.PictureIds.Where(id => id != f.HiddenPicture).Select(i => i.ToString()).ToList();
        Assert.Equal(expected, FeatureIds(fc));
        Assert.Equal([1, 2, 4, 5], fc.GetProperty("features").EnumerateArray().Select(x => x.GetProperty("properties").GetProperty("geovisio:rank_in_collection").GetInt32()));
    }

    [Fact]
    public async Task Item_has_what_the_viewer_reads()
    {
        var item = await f.GetJsonAsync($"/api/collections/{f.Flat1.Id}/items/{f.Flat1.PictureIds[1]}");
        var props = item.GetProperty("properties");

        Assert.Equal(f.Flat1.Id.ToString(), item.GetProperty("collection").GetString());
        Assert.Equal("Point", item.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal(45, props.GetProperty("view:azimuth").GetInt32());
        Assert.Equal("2023-05-01T10:00:02+00:00", props.GetProperty("datetime").GetString());
        Assert.Equal("2023-05-01T12:00:02+02:00", props.GetProperty("datetimetz").GetString());
        Assert.Equal("NIKON", props.GetProperty("pers:interior_orientation").GetProperty("camera_manufacturer").GetString());
        Assert.Equal(JsonValueKind.Object, props.GetProperty("exif").ValueKind);
        Assert.Equal("alice", props.GetProperty("geovisio:producer").GetString());
        Assert.Equal("ready", props.GetProperty("geovisio:status").GetString());
        Assert.Equal(["data"], item.GetProperty("assets").GetProperty("hd").GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("visual", item.GetProperty("assets").GetProperty("sd").GetProperty("roles")[0].GetString());
        Assert.Equal("image/jpeg", item.GetProperty("assets").GetProperty("thumb").GetProperty("type").GetString());

        Assert.Equal(f.Flat1.PictureIds[0].ToString(), LinkId(item, "prev"));
        // The hidden third picture is skipped: next goes to the fourth.
        Assert.Equal(f.Flat1.PictureIds[3].ToString(), LinkId(item, "next"));
        var next = JsonAssert.Links(item, "next").Single();
        Assert.Equal("application/geo+json", next.GetProperty("type").GetString());
        Assert.Equal(2, next.GetProperty("geometry").GetProperty("coordinates").GetArrayLength());
        // The 360 sequence passes within a few metres: it is related.
        Assert.Contains(JsonAssert.Links(item, "related"), l => f.Sphere.PictureIds.Contains(Guid.Parse(l.GetProperty("id").GetString()!)));
    }

    [Fact]
    public async Task Equirectangular_item_has_a_tile_matrix_and_tile_template()
    {
        var item = await f.GetJsonAsync($"/api/pictures/{f.Sphere.PictureIds[0]}");
        var props = item.GetProperty("properties");

        Assert.Equal(360, props.GetProperty("pers:interior_orientation").GetProperty("field_of_view").GetInt32());
        var matrix = props.GetProperty("tiles:tile_matrix_sets").GetProperty("geovisio").GetProperty("tileMatrix")[0];
        Assert.Equal(8, matrix.GetProperty("matrixWidth").GetInt32());
        Assert.Equal(4, matrix.GetProperty("matrixHeight").GetInt32());
        Assert.Equal(720, matrix.GetProperty("tileWidth").GetInt32());
        Assert.EndsWith("/tiled/{TileCol}_{TileRow}.jpg", item.GetProperty("asset_templates").GetProperty("tiles").GetProperty("href").GetString(), StringComparison.Ordinal);
        Assert.Contains(StacItemJsonTiled, item.GetProperty("stac_extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.Null(LinkId(item, "prev"));
    }

    private const string StacItemJsonTiled = "https://stac-extensions.github.io/tiled-assets/v1.0.0/schema.json";

    [Fact]
    public async Task Paging_by_rank_follows_next_links_to_the_end()
    {
        var page = await f.GetJsonAsync($"/api/collections/{f.Flat1.Id}/items?limit=2");
        var ids = FeatureIds(page);
        Assert.Equal(2, ids.Count);
        var next = Assert.Single(JsonAssert.Links(page, "next")).GetProperty("href").GetString()!;
        Assert.Contains("startAfterRank=2", next, StringComparison.Ordinal);
        var page2 = await f.GetJsonAsync(next);
        ids.AddRange(FeatureIds(page2));
        Assert.Empty(JsonAssert.Links(page2, "next"));
        Assert.Single(JsonAssert.Links(page2, "prev"));
        Assert.Equal(4, ids.Distinct().Count());
    }

    [Fact]
    public async Task With_picture_returns_the_page_that_holds_it()
    {
        var page = await f.GetJsonAsync($"/api/collections/{f.Flat1.Id}/items?limit=2&withPicture={f.Flat1.PictureIds[4]}");
        Assert.Contains(f.Flat1.PictureIds[4].ToString(), FeatureIds(page));
    }

    [Theory]
    [InlineData("startAfterRank=99", HttpStatusCode.NotFound)]
    [InlineData("startAfterRank=0", HttpStatusCode.BadRequest)]
    [InlineData("startAfterRank=abc", HttpStatusCode.BadRequest)]
    [InlineData("limit=0", HttpStatusCode.BadRequest)]
    [InlineData("limit=20000", HttpStatusCode.BadRequest)]
    [InlineData("withPicture=nope", HttpStatusCode.BadRequest)]
    public async Task Bad_item_list_parameters_get_clear_errors(string query, HttpStatusCode expected)
    {
        using var response = await f.Http.GetAsync($"/api/collections/{f.Flat1.Id}/items?{query}");
        await JsonAssert.IsApiErrorAsync(response, expected);
    }

    [Fact]
    public async Task Hidden_and_unready_pictures_are_404_for_anonymous()
    {
        foreach (var url in new[]
        {
            $"/api/pictures/{f.HiddenPicture}",
            $"/api/pictures/{f.Private.PictureIds[0]}",
            $"/api/pictures/{f.Preparing.PictureIds[0]}",
            $"/api/pictures/{f.Deleted.PictureIds[0]}",
            $"/api/collections/{f.Private.Id}/items",
            $"/api/pictures/{Guid.NewGuid()}",
        })
        {
            using var response = await f.Http.GetAsync(url);
            await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.NotFound);
        }
    }

    /// <summary>
    /// The related links are exactly what their definition gives, computed here the slow way (every picture, no index
    /// pre-filter): nearest visible picture of each other visible sequence within 15 m, flat ones facing within 100°.
    /// </summary>
    [Fact]
    public async Task Related_links_match_a_brute_force_reading_of_their_definition()
    {
        var withRelated = 0;
        foreach (var id in f.Flat1.PictureIds.Concat(f.Flat2.PictureIds).Concat(f.Sphere.PictureIds).Where(i => i != f.HiddenPicture))
        {
            var item = await f.GetJsonAsync($"/api/pictures/{id}");
            var actual = JsonAssert.Links(item, "related").Select(l => Guid.Parse(l.GetProperty("id").GetString()!)).ToList();

            var expected = new List<Guid>();
            await using (var conn = new NpgsqlConnection(f.ConnectionString))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("""
                    SELECT DISTINCT ON (n.sequence_id) n.id
                    FROM pictures it, pictures n JOIN sequences s ON s.id = n.sequence_id
                    WHERE it.id = @id AND n.sequence_id <> it.sequence_id
                      AND n.visibility = 'anyone' AND n.status = 'ready' AND n.deleted_at IS NULL
                      AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL
                      AND ST_Distance(n.location::geography, it.location::geography) <= 15
                      AND (it.kind = 'equirectangular' OR n.kind = 'equirectangular' OR n.heading IS NULL OR it.heading IS NULL
                           OR abs(mod((n.heading - it.heading + 540)::numeric, 360) - 180) <= 100)
                    ORDER BY n.sequence_id, n.location <-> it.location
                    """, conn);
                cmd.Parameters.AddWithValue("id", id);
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync())
                {
                    expected.Add(r.GetGuid(0));
                }
            }
            Assert.Equal(expected, actual);
            withRelated += actual.Count > 0 ? 1 : 0;
        }
        // The fixture's sequences cross: the comparison is not vacuous.
        Assert.True(withRelated >= 3, $"only {withRelated} pictures had related links");
    }
}
