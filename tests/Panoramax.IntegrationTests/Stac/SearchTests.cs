using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Stac;

public class SearchTests(StacFixture f) : IClassFixture<StacFixture>
{
    private static List<Guid> Ids(JsonElement fc) =>
        fc.GetProperty("features").EnumerateArray().Select(x => Guid.Parse(x.GetProperty("id").GetString()!)).ToList();

    private const string Arezzo = "11.87,43.46,11.89,43.47";

    [Fact]
    public async Task Bbox_search_returns_visible_pictures_nearest_to_the_centre_first()
    {
        var fc = await f.GetJsonAsync($"/api/search?bbox={Arezzo}&limit=100");
        var ids = Ids(fc);

        var expected = f.Flat1.PictureIds.Where(i => i != f.HiddenPicture).Concat(f.Flat2.PictureIds).Concat(f.Sphere.PictureIds);
        Assert.Equal(expected.Order(), ids.Order());
        // The viewer opens features[0] of a tiny bbox around a click: it must be the nearest picture.
        var target = f.Flat2.PictureIds[1];
        var item = await f.GetJsonAsync($"/api/pictures/{target}");
        var c = item.GetProperty("geometry").GetProperty("coordinates");
        var (x, y) = (c[0].GetDouble(), c[1].GetDouble());
        var near = await f.GetJsonAsync(FormattableString.Invariant($"/api/search?bbox={x - 0.01:F7},{y - 0.01:F7},{x + 0.01:F7},{y + 0.01:F7}&limit=1&collections={f.Flat2.Id}"));
        Assert.Equal([target], Ids(near));
    }

    [Fact]
    public async Task Ids_collections_and_limit()
    {
        Assert.Equal([f.Flat2.PictureIds[0]], Ids(await f.GetJsonAsync($"/api/search?ids={f.Flat2.PictureIds[0]}")));
        Assert.Equal(f.Sphere.PictureIds.Order(), Ids(await f.GetJsonAsync($"/api/search?collections={f.Sphere.Id}&limit=10")).Order());
        Assert.Equal(2, Ids(await f.GetJsonAsync($"/api/search?bbox={Arezzo}&limit=2")).Count);
        Assert.Empty(Ids(await f.GetJsonAsync($"/api/search?ids={f.Private.PictureIds[0]}")));
    }

    [Fact]
    public async Task Datetime_interval_selects_capture_dates()
    {
        var ids = Ids(await f.GetJsonAsync($"/api/search?bbox={Arezzo}&datetime=2024-06-01T00:00:00Z/2024-06-30T00:00:00Z&limit=100"));
        Assert.Equal(f.Flat2.PictureIds.Concat(f.Sphere.PictureIds).Order(), ids.Order());
        var day = Ids(await f.GetJsonAsync($"/api/search?bbox={Arezzo}&datetime=2023-05-01&limit=100"));
        Assert.Equal(4, day.Count);
    }

    [Fact]
    public async Task Filters_on_type_camera_user_and_tags()
    {
        Assert.Equal(f.Sphere.PictureIds.Order(), Ids(await f.GetJsonAsync($"/api/search?limit=100&filter={Uri.EscapeDataString("type = 'equirectangular'")}")).Order());
        Assert.Equal(f.Sphere.PictureIds.Order(), Ids(await f.GetJsonAsync($"/api/search?limit=100&filter={Uri.EscapeDataString("model LIKE 'GoPro%'")}")).Order());
        Assert.Equal(f.Flat2.PictureIds.Concat(f.Tagged.PictureIds).Order(),
            Ids(await f.GetJsonAsync($"/api/search?limit=100&filter={Uri.EscapeDataString($"account_id = '{f.Bob}'")}")).Order());
        Assert.Equal([f.Tagged.PictureIds[0]], Ids(await f.GetJsonAsync($"/api/search?limit=100&filter={Uri.EscapeDataString("\"semantics.osm|traffic_sign\" = 'yes'")}")));
        Assert.Equal([f.Tagged.PictureIds[0]], Ids(await f.GetJsonAsync($"/api/search?limit=100&filter={Uri.EscapeDataString("\"semantics\" IS NOT NULL")}")));
    }

    [Fact]
    public async Task Place_search_finds_pictures_looking_at_the_point()
    {
        // A point ~8 m ahead (north-east) of the first picture of Flat1, which looks north-east (45°).
        var first = await f.GetJsonAsync($"/api/pictures/{f.Flat1.PictureIds[0]}");
        var c = first.GetProperty("geometry").GetProperty("coordinates");
        var (x, y) = (c[0].GetDouble() + 0.00007, c[1].GetDouble() + 0.00005);
        var ids = Ids(await f.GetJsonAsync(FormattableString.Invariant($"/api/search?place_position={x:F7},{y:F7}&place_distance=3-15&limit=100")));

        Assert.Contains(f.Flat1.PictureIds[0], ids);
        // Flat2 looks south-west, away from the point: never listed.
        Assert.DoesNotContain(ids, f.Flat2.PictureIds.Contains);
    }

    [Fact]
    public async Task Post_search_accepts_json_with_lists_and_a_geometry()
    {
        using var response = await f.Http.PostAsJsonAsync("/api/search", new
        {
            collections = new[] { f.Flat2.Id },
            intersects = new { type = "Polygon", coordinates = new[] { new[] { new[] { 11.87, 43.46 }, new[] { 11.89, 43.46 }, new[] { 11.89, 43.47 }, new[] { 11.87, 43.47 }, new[] { 11.87, 43.46 } } } },
            limit = 50,
            sortby = new[] { new { field = "ts", direction = "desc" } },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var fc = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(f.Flat2.PictureIds.Reverse(), Ids(fc));
    }

    [Fact]
    public async Task Search_gives_its_read_connection_back_whether_the_client_reads_or_hangs_up()
    {
        // The connection must go back to the read pool after a whole answer and after a request the client cancels,
        // whichever query shape (prepared or not).
        var pool = ReadPoolProbe.ReadPool(f);
        var size = new NpgsqlConnectionStringBuilder(pool.ConnectionString).MaxPoolSize;
        var polygon = Uri.EscapeDataString("""{"type":"Polygon","coordinates":[[[11.87,43.46],[11.89,43.46],[11.89,43.47],[11.87,43.47],[11.87,43.46]]]}""");
        for (var i = 0; i < size + 5; i++)
        {
            using var cancel = new CancellationTokenSource();
            var path = (i % 3) switch
            {
                0 => $"/api/search?bbox={Arezzo}&limit=1000",
                1 => $"/api/search?limit=1000&filter={Uri.EscapeDataString("type = 'flat'")}",
                _ => $"/api/search?intersects={polygon}&limit=1000",
            };
            var request = f.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            if (i % 2 == 1)
            {
                await cancel.CancelAsync();
            }
            try
            {
                using var response = await request;
                await response.Content.ReadAsByteArrayAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        // Every connection of the pool can be taken at once: none was left with an abandoned answer.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < size; i++)
            {
                held.Add(await pool.OpenConnectionAsync(timeout.Token));
            }
        }
        finally
        {
            foreach (var c in held)
            {
                await c.DisposeAsync();
            }
        }
        Assert.Equal(size, held.Count);
        // And the route still answers whole pages.
        Assert.Equal(f.Flat1.PictureIds.Count - 1 + f.Flat2.PictureIds.Count + f.Sphere.PictureIds.Count,
            Ids(await f.GetJsonAsync($"/api/search?bbox={Arezzo}&limit=10000")).Count);
    }

    [Theory]
    [InlineData("bbox=1,2,3")]
    [InlineData("bbox=10,50,5,40")]
    [InlineData("datetime=garbage")]
    [InlineData("datetime=2024-01-02/2024-01-01")]
    [InlineData("limit=100000")]
    [InlineData("ids=not-a-uuid")]
    [InlineData("filter=unknown_prop%20%3D%201")]
    [InlineData("filter=%22semantics.x%22%20%3E%20'1'")]
    [InlineData("filter=type%20%3D%20'cube'")]
    [InlineData("filter=(((((")]
    [InlineData("sortby=title")]
    [InlineData("place_position=500,1")]
    [InlineData("place_distance=3-15")]
    [InlineData("place_position=1,1&place_fov_tolerance=1")]
    [InlineData("intersects=%7B%22type%22%3A%22Nope%22%7D")]
    [InlineData("intersects=not-json")]
    [InlineData("intersects=%7B%22type%22%3A%22Polygon%22%2C%22coordinates%22%3A%5B%5B%5B0%2C0%5D%2C%5B1%2C1%5D%5D%5D%7D")]
    [InlineData("intersects=%7B%22type%22%3A%22Point%22%2C%22coordinates%22%3A%5B%22a%22%5D%7D")]
    public async Task Bad_search_queries_are_400_with_a_message(string query)
    {
        using var response = await f.Http.GetAsync("/api/search?" + query);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{not json", "application/json")]
    [InlineData("[1,2]", "application/json")]
    [InlineData("{\"limit\": 10}", "text/plain")]
    [InlineData("{\"unknown\": 1}", "application/json")]
    [InlineData("{\"bbox\": [1, 2, \"x\", 4]}", "application/json")]
    [InlineData("{\"collections\": [1, 2]}", "application/json")]
    public async Task Malformed_post_search_bodies_are_400(string body, string contentType)
    {
        using var content = new StringContent(body, Encoding.UTF8, contentType);
        using var response = await f.Http.PostAsync("/api/search", content);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }
}
