using System.Net;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Stac;

public class UsersTests(StacFixture f) : IClassFixture<StacFixture>
{
    [Fact]
    public async Task User_search_finds_accounts_by_part_of_their_name()
    {
        var found = await f.GetJsonAsync("/api/users/search?q=LIC");
        var first = found.GetProperty("features")[0];
        Assert.Equal("alice", first.GetProperty("label").GetString());
        Assert.Equal(f.Alice.ToString(), first.GetProperty("id").GetString());
    }

    [Fact]
    public async Task User_search_treats_wildcards_literally()
    {
        var found = await f.GetJsonAsync("/api/users/search?q=%25");
        Assert.Equal(0, found.GetProperty("features").GetArrayLength());
    }

    [Fact]
    public async Task User_page_gives_the_name_the_viewer_shows()
    {
        var user = await f.GetJsonAsync($"/api/users/{f.Bob}");
        Assert.Equal("bob", user.GetProperty("name").GetString());
        Assert.Contains(JsonAssert.Links(user, "user-xyz"), l => l.GetProperty("href").GetString()!.EndsWith("/map/{z}/{x}/{y}.mvt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task User_collection_lists_only_their_visible_sequences()
    {
        var c = await f.GetJsonAsync($"/api/users/{f.Alice}/collection");
        var children = JsonAssert.Links(c, "child").Select(l => l.GetProperty("id").GetString()).ToList();

        Assert.Equal($"user:{f.Alice}", c.GetProperty("id").GetString());
        Assert.Equal(new[] { f.Flat1.Id, f.Sphere.Id }.Select(i => i.ToString()).Order(), children.Order());
        Assert.Equal(2, c.GetProperty("stats:collections").GetProperty("count").GetInt32());
        var (ok, output) = await StacValidator.ValidateAsync(new Uri(f.BaseUrl, $"/api/users/{f.Alice}/collection").ToString());
        Assert.True(ok, output);
    }

    [Fact]
    public async Task User_catalog_is_served_with_and_without_trailing_slash()
    {
        foreach (var path in new[] { $"/api/users/{f.Bob}/catalog/", $"/api/users/{f.Bob}/catalog" })
        {
            var cat = await f.GetJsonAsync(path);
            Assert.Equal("Catalog", cat.GetProperty("type").GetString());
            Assert.Equal(2, JsonAssert.Links(cat, "child").Count());
        }
    }

    [Fact]
    public async Task Unknown_user_and_missing_query_are_client_errors()
    {
        using (var r = await f.Http.GetAsync($"/api/users/{Guid.NewGuid()}"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.NotFound);
        }
        using (var r = await f.Http.GetAsync($"/api/users/{Guid.NewGuid()}/collection"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
        using (var r = await f.Http.GetAsync("/api/users/search"))
        {
            await JsonAssert.IsApiErrorAsync(r, HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task Users_catalog_links_users_with_public_sequences()
    {
        var users = await f.GetJsonAsync("/api/users");
        var names = users.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("name").GetString()).ToList();
        Assert.Contains("alice", names);
        Assert.Contains("admin", names);
        Assert.Equal(2, JsonAssert.Links(users, "child").Count());
    }
}
