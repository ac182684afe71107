using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Processing;

namespace Panoramax.IntegrationTests.EndToEnd;

/// <summary>
/// The whole path a contributor takes, through the real HTTP API and the real job worker: log in, upload a walk,
/// and find it published (or, for an owner-only upload, published for the owner only). Run once per storage kind.
/// </summary>
public abstract class UploadToPublicationTests<TInstance>(TInstance instance) : IClassFixture<TInstance>
    where TInstance : WorkerInstance
{
    private static readonly string[] Walk = ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg", "DSCN0025.jpg", "DSCN0027.jpg"];

    [Fact]
    public async Task A_logged_in_upload_ends_published_with_its_files_and_split_as_configured()
    {
        var (_, user) = await TestAuth.UserAsync(instance, "walker");
        // Split limits above the walk's largest gap (510 s) and jump (274 m): one sequence.
        var set = await CreateSetAsync(user, new { title = "Arezzo", estimated_nb_files = Walk.Length, split_time = 600, split_distance = 300 });
        foreach (var name in Walk)
        {
            var (status, body) = await UploadAsync(user, set, name);
            Assert.True(status == 202, $"{name}: {status} {body}");
        }

        var done = await WaitReadyAsync(user, set);
        Assert.True(done.GetProperty("completed").GetBoolean(), "the set completes itself at estimated_nb_files");
        var collections = done.GetProperty("associated_collections").EnumerateArray().ToList();
        Assert.Single(collections);
        Assert.Equal(Walk.Length, collections[0].GetProperty("nb_items").GetInt32());

        // Anonymous callers see the published sequence, in capture order, with files that load.
        var seq = collections[0].GetProperty("id").GetString();
        var items = await instance.GetJsonAsync($"/api/collections/{seq}/items");
        var features = items.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(Walk.Length, features.Count);
        var times = features.Select(f => f.GetProperty("properties").GetProperty("datetime").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        foreach (var f in features)
        {
            foreach (var asset in new[] { "hd", "sd", "thumb" })
            {
                var href = f.GetProperty("assets").GetProperty(asset).GetProperty("href").GetString()!;
                using var file = await instance.Http.GetAsync(href);
                Assert.True(file.StatusCode == HttpStatusCode.OK, $"{asset} of {f.GetProperty("id")}: {(int)file.StatusCode}");
                Assert.Equal("image/jpeg", file.Content.Headers.ContentType?.MediaType);
            }
            // The walk has no GPSImgDirection: headings are computed from the track.
            Assert.True(f.GetProperty("properties").TryGetProperty("view:azimuth", out var az) && az.ValueKind == JsonValueKind.Number);
        }
        var search = await instance.GetJsonAsync($"/api/search?collections={seq}&limit=100");
        Assert.Equal(Walk.Length, search.GetProperty("features").GetArrayLength());
    }

    [Fact]
    public async Task An_owner_only_upload_is_published_for_its_owner_and_nobody_else()
    {
        var (_, owner) = await TestAuth.UserAsync(instance, "private-walker");
        var (_, other) = await TestAuth.UserAsync(instance, "neighbour");
        var set = await CreateSetAsync(owner, new { title = "Private", estimated_nb_files = 2, visibility = "owner-only" });
        foreach (var name in Walk.Take(2))
        {
            var (status, body) = await UploadAsync(owner, set, name);
            Assert.True(status == 202, $"{name}: {status} {body}");
        }
        var done = await WaitReadyAsync(owner, set);
        var seq = done.GetProperty("associated_collections")[0].GetProperty("id").GetString();

        using (var mine = await owner.GetAsync($"/api/collections/{seq}/items"))
        {
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
            var json = JsonDocument.Parse(await mine.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(2, json.GetProperty("features").GetArrayLength());
        }
        // The owner's own map tiles (GeoVisio's /api/users/me/map) draw the private sequence; nobody else's do.
        var first = (await owner.GetFromJsonAsync<JsonElement>($"/api/collections/{seq}/items")).GetProperty("features")[0].GetProperty("geometry").GetProperty("coordinates");
        var (tx, ty) = Map.Mvt.TileOf(first[0].GetDouble(), first[1].GetDouble(), 14);
        var ownTile = Map.Mvt.Decode(await owner.GetByteArrayAsync($"/api/users/me/map/14/{tx}/{ty}.mvt"));
        Assert.Contains(ownTile.Values.SelectMany(f => f), f => f.Properties.TryGetValue("id", out var id) && Equals(id?.ToString(), seq));
        using (var anonymousTile = await instance.Http.GetAsync($"/api/users/me/map/14/{tx}/{ty}.mvt"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymousTile.StatusCode);
        }
        var generalTile = Map.Mvt.Decode(await other.GetByteArrayAsync($"/api/map/14/{tx}/{ty}.mvt"));
        Assert.DoesNotContain(generalTile.Values.SelectMany(f => f), f => f.Properties.TryGetValue("id", out var id) && Equals(id?.ToString(), seq));

        foreach (var stranger in new[] { instance.Http, other })
        {
            using var theirs = await stranger.GetAsync($"/api/collections/{seq}/items");
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
            using var search = await stranger.GetAsync($"/api/search?collections={seq}");
            var json = JsonDocument.Parse(await search.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(0, json.GetProperty("features").GetArrayLength());
        }
    }

    /// <summary>Every derivative of the published walk is in the configured store, under the one key layout.</summary>
    [Fact]
    public async Task A_published_walk_has_its_files_in_the_configured_store()
    {
        var (_, user) = await TestAuth.UserAsync(instance, "store-walker");
        var set = await CreateSetAsync(user, new { title = "Store", estimated_nb_files = 2, split_time = 600, split_distance = 300 });
        foreach (var name in Walk.Skip(3))
        {
            var (status, body) = await UploadAsync(user, set, name);
            Assert.True(status == 202, $"{name}: {status} {body}");
        }
        var done = await WaitReadyAsync(user, set);
        var seq = done.GetProperty("associated_collections")[0].GetProperty("id").GetString();
        var items = await instance.GetJsonAsync($"/api/collections/{seq}/items");
        foreach (var f in items.GetProperty("features").EnumerateArray())
        {
            var id = f.GetProperty("id").GetGuid();
            var keys = await instance.KeysAsync(Domain.Abstractions.StorageKeys.PictureFolder(id));
            foreach (var expected in new[] { Domain.Abstractions.StorageKeys.Hd(id), Domain.Abstractions.StorageKeys.Sd(id), Domain.Abstractions.StorageKeys.Thumb(id) })
            {
                Assert.True(keys.Contains(expected), $"{expected} missing from {instance.Store.GetType().Name}: {string.Join(", ", keys)}");
            }
        }
    }

    private static async Task<Guid> CreateSetAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/upload_sets", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"create answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task<(int Status, string Body)> UploadAsync(HttpClient client, Guid set, string name)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(await File.ReadAllBytesAsync(TestPaths.SharedData($"a-exif-samples-arezzo/{name}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(content, "file", name);
        using var response = await client.PostAsync($"/api/upload_sets/{set}/files", form);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> WaitReadyAsync(HttpClient client, Guid set)
    {
        JsonElement last = default;
        await UploadWriter.WaitUntilAsync(async () =>
        {
            last = JsonDocument.Parse(await client.GetStringAsync($"/api/upload_sets/{set}")).RootElement.Clone();
            return last.GetProperty("ready").GetBoolean();
        }, TimeSpan.FromSeconds(120), $"upload set {set} ready");
        return last;
    }
}

/// <summary>The walk on the default filesystem store.</summary>
public sealed class FileSystemUploadToPublicationTests(NoBlurInstance instance) : UploadToPublicationTests<NoBlurInstance>(instance);

/// <summary>The same walk with every file in a real S3-compatible server.</summary>
public sealed class S3UploadToPublicationTests(S3NoBlurInstance instance) : UploadToPublicationTests<S3NoBlurInstance>(instance);
