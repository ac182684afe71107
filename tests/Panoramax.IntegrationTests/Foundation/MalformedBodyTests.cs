using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Foundation;

/// <summary>
/// Bodies that break the framework's readers (a truncated multipart body, a form field name over the limit, JSON that
/// does not parse) on the routes that accept forms: each is a 400 JSON error, never a 500.
/// </summary>
public class MalformedBodyTests(TestInstance instance) : IClassFixture<TestInstance>
{
    public static TheoryData<string, string> Routes => new()
    {
        { "POST", "/api/auth/local/login" },
        { "POST", "/api/auth/local/register" },
        { "POST", "/api/collections" },
        { "PATCH", "/api/collections/{sequence}" },
        { "POST", "/api/moderation/takedown" },
        { "POST", "/api/moderation/restore" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Truncated_multipart_body_is_400(string method, string route)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes("--zzz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhal"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=zzz");
        await AssertBadRequestAsync(method, route, content);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Form_field_name_over_the_limit_is_400(string method, string route)
    {
        var content = new StringContent(new string('k', 5000) + "=v", Encoding.ASCII, "application/x-www-form-urlencoded");
        await AssertBadRequestAsync(method, route, content);
    }

    [Fact]
    public async Task Truncated_picture_uploads_are_400()
    {
        using var admin = await TestAuth.AdminAsync(instance);
        using var set = await admin.PostAsync("/api/upload_sets", new StringContent("{\"title\": \"truncated\"}", Encoding.UTF8, "application/json"));
        var setId = (await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var collection = await admin.PostAsync("/api/collections", new StringContent("{\"title\": \"truncated\"}", Encoding.UTF8, "application/json"));
        var collectionId = (await collection.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        foreach (var (route, part) in new[] { ($"/api/upload_sets/{setId}/files", "file"), ($"/api/collections/{collectionId}/items", "picture") })
        {
            // The file part starts, then the body ends without its closing boundary.
            var content = new ByteArrayContent(Encoding.ASCII.GetBytes(
                $"--zzz\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\u00ff\u00d8\u00ff\u00e0"));
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=zzz");
            using var response = await admin.PostAsync(route, content);
            await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task Legacy_collection_creation_with_broken_json_is_400()
    {
        await AssertBadRequestAsync("POST", "/api/collections", new StringContent("{\"title\": ", Encoding.UTF8, "application/json"));
        await AssertBadRequestAsync("POST", "/api/collections", new StringContent("[1]", Encoding.UTF8, "application/json"));
    }

    [Fact]
    public async Task Nul_characters_in_text_values_are_400()
    {
        using var admin = await TestAuth.AdminAsync(instance);
        var sequence = await TestData.SequenceAsync(instance, await TestData.AccountAsync(instance, "someone"),
            TestData.Walk(2.35, 48.85, new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), 1), "a sequence");
        foreach (var path in new[] { "/api/users/search?q=a%00b", "/api/search?filter=model%20%3D%20%27a%00b%27" })
        {
            using var response = await admin.GetAsync(path);
            await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
        }
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/collections/{sequence.Id}")
        {
            Content = new StringContent("{\"title\": \"a\\u0000b\"}", Encoding.UTF8, "application/json"),
        };
        using (var response = await admin.SendAsync(patch))
        {
            await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
        }
        // Nothing was half-written: the title is unchanged.
        Assert.Equal("a sequence", (await instance.GetJsonAsync($"/api/collections/{sequence.Id}")).GetProperty("title").GetString());
        using var register = await instance.Http.PostAsync("/api/auth/local/register",
            new StringContent("{\"name\": \"x\\u0000y\", \"email\": \"nul@tests.invalid\", \"password\": \"a long enough password\"}", Encoding.UTF8, "application/json"));
        await JsonAssert.IsApiErrorAsync(register, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("POST", "/api/auth/local/register", "{\"name\": \"a\\ud800\", \"email\": \"s@tests.invalid\", \"password\": \"a long enough password\"}")]
    [InlineData("POST", "/api/collections", "{\"title\": \"a\\udc00b\"}")]
    [InlineData("PATCH", "/api/collections/{sequence}", "{\"title\": \"ok\", \"\\ud800\": 1}")]
    [InlineData("POST", "/api/search", "{\"collections\": [\"\\ud800\"]}")]
    public Task Json_strings_with_a_lone_surrogate_escape_are_400(string method, string route, string body) =>
        AssertBadRequestAsync(method, route, new StringContent(body, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Unstorable_json_string_error_says_where_it_is()
    {
        using var content = new StringContent("{\"limit\": 5, \"collections\": [\"ok\", \"a\\u0000b\"]}", Encoding.UTF8, "application/json");
        using var response = await instance.Http.PostAsync("/api/search", content);
        var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("at $.collections[1]:", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private async Task AssertBadRequestAsync(string method, string route, HttpContent content)
    {
        using var admin = await TestAuth.AdminAsync(instance);
        var sequence = await TestData.SequenceAsync(instance, await TestData.AccountAsync(instance, "someone"),
            TestData.Walk(2.35, 48.85, new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), 1), "a sequence");
        using var request = new HttpRequestMessage(new HttpMethod(method), route.Replace("{sequence}", sequence.Id.ToString(), StringComparison.Ordinal)) { Content = content };
        using var response = await admin.SendAsync(request);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }
}
