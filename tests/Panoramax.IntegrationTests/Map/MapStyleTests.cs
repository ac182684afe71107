using System.Net;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Map;

public class MapStyleTests(TestInstance instance) : IClassFixture<TestInstance>
{
    private string Base => instance.BaseUrl.ToString().TrimEnd('/');

    [Fact]
    public async Task General_style_has_the_source_and_layer_ids_the_viewer_waits_for()
    {
        var style = await instance.GetJsonAsync("/api/map/style.json");

        Assert.Equal(8, style.GetProperty("version").GetInt32());
        var source = style.GetProperty("sources").GetProperty("geovisio");
        Assert.Equal("vector", source.GetProperty("type").GetString());
        Assert.Equal($"{Base}/api/map/{{z}}/{{x}}/{{y}}.mvt", source.GetProperty("tiles")[0].GetString());
        Assert.Equal(0, source.GetProperty("minzoom").GetInt32());
        Assert.Equal(15, source.GetProperty("maxzoom").GetInt32());
        var layers = style.GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("id").GetString()!);
        Assert.Equal(["geovisio_grid", "geovisio_sequences", "geovisio_pictures"], layers.Keys);
        Assert.Equal(("line", "sequences"), (layers["geovisio_sequences"].GetProperty("type").GetString(), layers["geovisio_sequences"].GetProperty("source-layer").GetString()));
        Assert.Equal(("circle", "pictures"), (layers["geovisio_pictures"].GetProperty("type").GetString(), layers["geovisio_pictures"].GetProperty("source-layer").GetString()));
        Assert.Equal(("circle", "grid"), (layers["geovisio_grid"].GetProperty("type").GetString(), layers["geovisio_grid"].GetProperty("source-layer").GetString()));
        Assert.All(layers.Values, l => Assert.Equal("geovisio", l.GetProperty("source").GetString()));
        var fields = style.GetProperty("metadata").GetProperty("panoramax:fields");
        var pictureFields = fields.GetProperty("pictures").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("gps_accuracy", pictureFields);
        Assert.Contains("h_pixel_density", pictureFields);
        var gridFields = fields.GetProperty("grid").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("nb_360_pictures", gridFields);
        Assert.Contains("coef_flat_pictures", gridFields);
    }

    [Fact]
    public async Task User_style_uses_a_source_per_user_and_no_grid()
    {
        var user = Guid.NewGuid();
        var style = await instance.GetJsonAsync($"/api/users/{user}/map/style.json");

        var source = style.GetProperty("sources").GetProperty($"geovisio_{user}");
        Assert.Equal($"{Base}/api/users/{user}/map/{{z}}/{{x}}/{{y}}.mvt", source.GetProperty("tiles")[0].GetString());
        Assert.Equal(
            [$"geovisio_{user}_sequences", $"geovisio_{user}_pictures"],
            style.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Base_map_style_has_our_own_tiled_raster_source()
    {
        var style = await instance.GetJsonAsync("/api/map/base-style.json");

        var source = style.GetProperty("sources").GetProperty("base");
        Assert.Equal("raster", source.GetProperty("type").GetString());
        var url = source.GetProperty("tiles")[0].GetString()!;
        Assert.Equal($"{Base}/api/map/base/{{z}}/{{x}}/{{y}}.png", url);

        using var tile = await instance.Http.GetAsync("/api/map/base/12/2154/1497.png");
        Assert.Equal(HttpStatusCode.OK, tile.StatusCode);
        Assert.Equal("image/png", tile.Content.Headers.ContentType?.MediaType);
        var png = await tile.Content.ReadAsByteArrayAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.NotNull(tile.Headers.ETag);
    }

    [Fact]
    public async Task Home_page_embeds_the_viewer_on_our_api_and_base_map_for_any_query_string()
    {
        using var response = await instance.Http.GetAsync("/?pic=abc&seq=def&map=15/43.46/11.88");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains("<title>", html, StringComparison.Ordinal);
        Assert.Contains($"<pnx-viewer endpoint=\"{Base}/api\" map-style=\"{Base}/api/map/base-style.json\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/viewer/index.js", "javascript")]
    [InlineData("/viewer/index.css", "text/css")]
    public async Task Viewer_files_from_npm_are_served(string path, string type)
    {
        using var response = await instance.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(type, response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }
}
