using System.Net;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Foundation;

public class LandingTests(TestInstance instance) : IClassFixture<TestInstance>
{
    [Fact]
    public async Task Landing_is_a_stac_catalog_with_absolute_links_the_viewer_needs()
    {
        var landing = await instance.GetJsonAsync("/api");

        Assert.Equal("1.0.0", landing.GetProperty("stac_version").GetString());
        Assert.Equal("Catalog", landing.GetProperty("type").GetString());
        Assert.Contains("https://api.stacspec.org/v1.0.0/core", landing.GetProperty("conformsTo").EnumerateArray().Select(c => c.GetString()));
        foreach (var link in landing.GetProperty("links").EnumerateArray().Where(l => l.GetProperty("rel").GetString() != "license"))
        {
            Assert.StartsWith(instance.BaseUrl.ToString().TrimEnd('/'), link.GetProperty("href").GetString(), StringComparison.Ordinal);
        }
        var search = Assert.Single(JsonAssert.Links(landing, "search"));
        Assert.Equal("application/geo+json", search.GetProperty("type").GetString());
        Assert.Contains(JsonAssert.Links(landing, "data"), l => l.GetProperty("type").GetString() == "application/json");
        // The viewer replaces placeholders textually: they must stay literal, not URL-encoded.
        Assert.EndsWith("/api/map/{z}/{x}/{y}.mvt", Assert.Single(JsonAssert.Links(landing, "xyz")).GetProperty("href").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/api/users/{userId}/map/{z}/{x}/{y}.mvt", Assert.Single(JsonAssert.Links(landing, "user-xyz")).GetProperty("href").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/api/pictures/{id}/thumb.jpg", Assert.Single(JsonAssert.Links(landing, "item-preview")).GetProperty("href").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Landing_passes_the_offline_stac_validator()
    {
        var (ok, output) = await StacValidator.ValidateAsync(new Uri(instance.BaseUrl, "/api").ToString());
        Assert.True(ok, output);
        Assert.Contains("PASS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Links_follow_the_forwarded_host_and_scheme_of_a_proxy()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "panoramax.example.org");
        using var response = await instance.Http.SendAsync(request);
        var landing = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("https://panoramax.example.org/api", Assert.Single(JsonAssert.Links(landing, "self")).GetProperty("href").GetString());
    }

    [Fact]
    public async Task Conformance_lists_the_same_classes_as_the_landing()
    {
        var landing = await instance.GetJsonAsync("/api");
        var conformance = await instance.GetJsonAsync("/api/conformance");

        Assert.Equal(
            landing.GetProperty("conformsTo").EnumerateArray().Select(c => c.GetString()),
            conformance.GetProperty("conformsTo").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task Configuration_has_the_fields_clients_read()
    {
        var config = await instance.GetJsonAsync("/api/configuration");

        Assert.Equal("Panoramax", config.GetProperty("name").GetProperty("label").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.True, config.GetProperty("auth").GetProperty("enabled").ValueKind);
        Assert.Equal("CC-BY-SA-4.0", config.GetProperty("license").GetProperty("id").GetString());
        Assert.Matches("^#[0-9a-fA-F]{6}$", config.GetProperty("color").GetString());
        var defaults = config.GetProperty("defaults");
        Assert.Equal(100, defaults.GetProperty("split_distance").GetInt32());
        Assert.Equal(300, defaults.GetProperty("split_time").GetDouble());
        Assert.Equal(1, defaults.GetProperty("duplicate_distance").GetDouble());
        Assert.Equal(60, defaults.GetProperty("duplicate_rotation").GetInt32());
        Assert.Equal(["anyone", "owner-only"], config.GetProperty("visibility").GetProperty("possible_values").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task Api_answers_cors_with_the_caller_origin_and_credentials()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api");
        request.Headers.Add("Origin", "https://viewer.example.net");
        using var response = await instance.Http.SendAsync(request);

        Assert.Equal("https://viewer.example.net", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
    }

    [Fact]
    public async Task Anonymous_api_answers_are_publicly_cacheable()
    {
        using var response = await instance.Http.GetAsync("/api/configuration");
        Assert.True(response.Headers.CacheControl?.Public, "anonymous API answers must say Cache-Control: public");
    }

    [Fact]
    public async Task Health_reports_the_database()
    {
        var health = await instance.GetJsonAsync("/api/health");

        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("healthy", health.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Openapi_description_and_swagger_ui_are_served()
    {
        var spec = await instance.GetJsonAsync("/api/docs/specs.json");
        Assert.StartsWith("3.", spec.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.True(spec.GetProperty("paths").TryGetProperty("/api/configuration", out _));

        using var ui = await instance.Http.GetAsync("/api/docs/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Contains("swagger", await ui.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/api/nothing-here")]
    [InlineData("/no/such/page")]
    public async Task Unknown_routes_answer_a_json_404(string path)
    {
        using var response = await instance.Http.GetAsync(path);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Wrong_method_answers_a_json_405()
    {
        using var response = await instance.Http.DeleteAsync("/api/configuration");
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.MethodNotAllowed);
    }
}
