using System.Net;
using System.Text.Json;

namespace Panoramax.IntegrationTests.Map;

public class VectorTileTests(MapFixture map) : IClassFixture<MapFixture>
{
    private async Task<(HttpResponseMessage Response, byte[] Body)> GetTileAsync(string path)
    {
        var response = await map.Http.GetAsync(path);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    private async Task<Dictionary<string, List<MvtFeature>>> TileAtAsync(int z, double lon = MapFixture.Lon, double lat = MapFixture.Lat, string prefix = "/api")
    {
        var (x, y) = Mvt.TileOf(lon, lat, z);
        var (response, body) = await GetTileAsync($"{prefix}/map/{z}/{x}/{y}.mvt");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.mapbox-vector-tile", response.Content.Headers.ContentType?.MediaType);
        return Mvt.Decode(body);
    }

    [Theory]
    [InlineData(0, "grid")]
    [InlineData(5, "grid")]
    [InlineData(6, "grid,sequences")]
    [InlineData(7, "sequences")]
    [InlineData(14, "sequences")]
    [InlineData(15, "pictures,sequences")]
    public async Task Each_zoom_has_the_layers_the_viewer_expects(int z, string layers)
    {
        var tile = await TileAtAsync(z);

        Assert.Equal(string.Join(',', layers.Split(',')), string.Join(',', tile.Keys.Order()));
    }

    [Fact]
    public async Task Sequence_features_carry_typed_properties_for_the_viewer_filters()
    {
        var tile = await TileAtAsync(14);

        var flat = Assert.Single(tile["sequences"], f => (string)f.Properties["id"] == map.PublicFlat.ToString());
        Assert.Equal(NetTopologySuite.IO.VectorTiles.Mapbox.Tile.GeomType.LineString, flat.Type);
        Assert.Equal(map.Admin.ToString(), flat.Properties["account_id"]);
        Assert.Equal("Canon EOS 5D", flat.Properties["model"]);
        Assert.Equal("flat", flat.Properties["type"]);
        Assert.Equal("2024-06-01", flat.Properties["date"]);
        Assert.Equal(2.5, Assert.IsType<double>(flat.Properties["gps_accuracy"]));
        Assert.Equal(21L, Assert.IsType<long>(flat.Properties["h_pixel_density"]));
        Assert.False(flat.Properties.ContainsKey("hidden"));
        var sphere = Assert.Single(tile["sequences"], f => (string)f.Properties["id"] == map.Public360.ToString());
        Assert.Equal("equirectangular", sphere.Properties["type"]);
        Assert.Equal("2023-06-01", sphere.Properties["date"]);
    }

    [Fact]
    public async Task Picture_features_at_z15_carry_typed_properties_and_their_sequence()
    {
        var tile = await TileAtAsync(15);

        var first = map.FlatPictures[0];
        var picture = Assert.Single(tile["pictures"], f => (string)f.Properties["id"] == first.Id.ToString());
        Assert.Equal(NetTopologySuite.IO.VectorTiles.Mapbox.Tile.GeomType.Point, picture.Type);
        Assert.StartsWith("2024-06-01", (string)picture.Properties["ts"], StringComparison.Ordinal);
        Assert.Equal(10L, Assert.IsType<long>(picture.Properties["heading"]));
        Assert.Equal("flat", picture.Properties["type"]);
        Assert.Equal("Canon EOS 5D", picture.Properties["model"]);
        Assert.IsType<double>(picture.Properties["gps_accuracy"]);
        Assert.IsType<long>(picture.Properties["h_pixel_density"]);
        Assert.Equal(map.PublicFlat.ToString(), picture.Properties["first_sequence"]);
        Assert.Equal([map.PublicFlat.ToString()], JsonSerializer.Deserialize<string[]>((string)picture.Properties["sequences"])!);
        Assert.Contains(tile["pictures"], p => (string)p.Properties["first_sequence"] == map.Public360.ToString());
    }

    [Fact]
    public async Task Z6_sequences_are_geometry_only()
    {
        var tile = await TileAtAsync(6);

        Assert.NotEmpty(tile["sequences"]);
        Assert.All(tile["sequences"], f => Assert.Empty(f.Properties));
    }

    [Fact]
    public async Task Grid_counts_only_public_ready_pictures_by_kind_with_coefficients()
    {
        var tile = await TileAtAsync(3);

        var cells = tile["grid"];
        Assert.Equal(2, cells.Count);
        var arezzo = Assert.Single(cells, c => (long)c.Properties["nb_pictures"] == 5);
        Assert.Equal(2L, arezzo.Properties["nb_360_pictures"]);
        Assert.Equal(3L, arezzo.Properties["nb_flat_pictures"]);
        Assert.Equal(1.0, Assert.IsType<double>(arezzo.Properties["coef"]));
        Assert.Equal(1.0, arezzo.Properties["coef_360_pictures"]);
        Assert.Equal(0.8, arezzo.Properties["coef_flat_pictures"]);
        var paris = Assert.Single(cells, c => (long)c.Properties["nb_pictures"] == 4);
        Assert.Equal(0.8, paris.Properties["coef"]);
        Assert.Equal(0.0, paris.Properties["coef_360_pictures"]);
        Assert.IsType<long>(paris.Properties["id"]);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(15)]
    public async Task Hidden_owner_only_and_unpublished_sequences_are_absent_for_anonymous_callers(int z)
    {
        var tile = await TileAtAsync(z);

        var ids = tile["sequences"].Select(f => (string)f.Properties["id"]).ToHashSet();
        Assert.Contains(map.PublicFlat.ToString(), ids);
        Assert.DoesNotContain(map.OwnerOnly.ToString(), ids);
        Assert.DoesNotContain(map.LoggedOnly.ToString(), ids);
        Assert.DoesNotContain(map.NotReady.ToString(), ids);
        if (z == 15)
        {
            Assert.All(tile["pictures"], p => Assert.Contains((string)p.Properties["first_sequence"], new[] { map.PublicFlat.ToString(), map.Public360.ToString() }));
        }
    }

    [Fact]
    public async Task Empty_tile_is_200_with_a_zero_byte_body()
    {
        var (response, body) = await GetTileAsync("/api/map/14/0/0.mvt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(body);
    }

    [Theory]
    [InlineData("/api/map/16/0/0.mvt")]
    [InlineData("/api/map/3/8/0.mvt")]
    [InlineData("/api/map/3/0/8.mvt")]
    [InlineData("/api/map/-1/0/0.mvt")]
    [InlineData("/api/map/a/0/0.mvt")]
    [InlineData("/api/users/not-a-uuid/map/1/0/0.mvt")]
    public async Task Tiles_outside_the_pyramid_are_404_json(string path)
    {
        var (response, body) = await GetTileAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(JsonDocument.Parse(body).RootElement.TryGetProperty("message", out _));
    }

    [Theory]
    [InlineData("/api/map/1/0/0.png")]
    [InlineData("/api/map/1/0/0.json")]
    public async Task Unknown_tile_format_is_400_json(string path)
    {
        var (response, body) = await GetTileAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("format", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pbf_is_the_same_tile_as_mvt()
    {
        var (x, y) = Mvt.TileOf(MapFixture.Lon, MapFixture.Lat, 14);
        var (_, mvt) = await GetTileAsync($"/api/map/14/{x}/{y}.mvt");
        var (_, pbf) = await GetTileAsync($"/api/map/14/{x}/{y}.pbf");

        Assert.NotEmpty(mvt);
        Assert.Equal(mvt, pbf);
    }

    [Fact]
    public async Task Tiles_are_cacheable_and_revalidate_with_their_etag()
    {
        var (x, y) = Mvt.TileOf(MapFixture.Lon, MapFixture.Lat, 14);
        var path = $"/api/map/14/{x}/{y}.mvt";
        var (first, _) = await GetTileAsync(path);
        Assert.True(first.Headers.CacheControl!.Public);
        Assert.Equal(TimeSpan.FromSeconds(60), first.Headers.CacheControl.MaxAge);
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await map.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Tiles_answer_cross_origin_requests()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/map/0/0/0.mvt");
        request.Headers.Add("Origin", "https://viewer.example.org");
        using var response = await map.Http.SendAsync(request);

        Assert.Equal("https://viewer.example.org", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    public async Task User_tiles_have_only_that_users_sequences_with_properties_and_no_grid(int z)
    {
        var tile = await TileAtAsync(z, 2.35, 48.85, $"/api/users/{map.OtherUser}");

        Assert.Equal(["sequences"], tile.Keys);
        var sequence = Assert.Single(tile["sequences"]);
        Assert.Equal(map.OtherUsersSequence.ToString(), sequence.Properties["id"]);
        Assert.Equal("flat", sequence.Properties["type"]);

        var elsewhere = await TileAtAsync(z, prefix: $"/api/users/{map.OtherUser}");
        Assert.Empty(elsewhere);
    }

    [Fact]
    public async Task User_tiles_hide_what_anonymous_callers_may_not_see()
    {
        var tile = await TileAtAsync(15, prefix: $"/api/users/{map.Admin}");

        var ids = tile["sequences"].Select(f => (string)f.Properties["id"]).ToHashSet();
        Assert.True(ids.SetEquals([map.PublicFlat.ToString(), map.Public360.ToString()]), string.Join(", ", ids));
        Assert.All(tile["pictures"], p => Assert.Contains((string)p.Properties["first_sequence"], ids));
    }

    [Fact]
    public async Task User_tiles_never_have_a_grid()
    {
        var tile = await TileAtAsync(2, 2.35, 48.85, $"/api/users/{map.OtherUser}");

        Assert.DoesNotContain("grid", tile.Keys);
    }
}
