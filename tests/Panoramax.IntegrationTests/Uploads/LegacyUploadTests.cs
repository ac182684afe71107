using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Uploads;

/// <summary>The pre-2.7 upload protocol: empty collection, pictures posted at positions, geovisio_status polled.</summary>
public sealed class LegacyUploadTests(AnonymousUploadInstance instance) : IClassFixture<AnonymousUploadInstance>
{
    private async Task<Guid> CollectionAsync(string title)
    {
        using var response = await instance.Http.PostAsJsonAsync("/api/collections", new { title });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal("Collection", json.GetProperty("type").GetString());
        Assert.Equal(title, json.GetProperty("title").GetString());
        var id = json.Id();
        Assert.EndsWith($"/api/collections/{id}", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        return id;
    }

    [Fact]
    public async Task Legacy_upload_puts_pictures_at_their_positions_in_a_waiting_sequence()
    {
        var id = await CollectionAsync("Legacy walk");
        var (status, item) = await instance.UploadAsync(id, "a-exif-samples-arezzo/DSCN0012.jpg", part: "picture",
            fields: new Dictionary<string, string> { ["position"] = "2" }, path: $"/api/collections/{id}/items");
        Assert.True(status == 202, item.ToString());
        Assert.Equal("Feature", item.GetProperty("type").GetString());
        Assert.Equal(2, item.GetProperty("properties").GetProperty("geovisio:rank_in_collection").GetInt32());
        var pictureId = item.Id();

        var (taken, conflict) = await instance.UploadAsync(id, "a-exif-samples-arezzo/DSCN0021.jpg", part: "picture",
            fields: new Dictionary<string, string> { ["position"] = "2" }, path: $"/api/collections/{id}/items");
        Assert.Equal(409, taken);
        Assert.Contains("position 2", conflict.GetProperty("message").GetString(), StringComparison.Ordinal);

        var (noPosition, _) = await instance.UploadAsync(id, "a-exif-samples-arezzo/DSCN0021.jpg", part: "picture", path: $"/api/collections/{id}/items");
        Assert.Equal(400, noPosition);

        var (bad, error) = await instance.UploadAsync(id, "c-immich-formats/el_torcal_rocks.jpg", part: "picture",
            fields: new Dictionary<string, string> { ["position"] = "3" }, path: $"/api/collections/{id}/items");
        Assert.Equal(400, bad);
        Assert.Equal(["location"], error.GetProperty("details").GetProperty("missing_fields").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("details").GetProperty("error").GetString()));

        var statusJson = await instance.GetJsonAsync($"/api/collections/{id}/geovisio_status");
        Assert.Equal("waiting-for-process", statusJson.GetProperty("status").GetString());
        var listed = Assert.Single(statusJson.GetProperty("items").EnumerateArray());
        Assert.Equal(pictureId, listed.Id());
        Assert.Equal(2, listed.GetProperty("rank").GetInt32());
        Assert.Equal("waiting-for-process", listed.GetProperty("status").GetString());
        Assert.False(listed.GetProperty("processing_in_progress").GetBoolean());

        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var p = await db.Pictures.SingleAsync(x => x.Id == pictureId);
            Assert.Equal(id, p.SequenceId);
            Assert.Equal(2, p.Rank);
            Assert.Null(p.UploadSetId);
            Assert.Equal(PictureStatus.WaitingForProcess, p.Status);
            Assert.Equal(StorageKeys.Upload(id, pictureId), p.OriginalKey);
            Assert.Equal(1, await db.Jobs.CountAsync(j => j.Kind == "process_picture" && j.TargetId == pictureId));
            Assert.Single(await db.Pictures.Where(x => x.SequenceId == id).ToListAsync());
        }
        Assert.NotNull(await instance.Services.GetRequiredService<IBlobStore>().GetInfoAsync(StorageKeys.Upload(id, pictureId), default));
    }

    [Fact]
    public async Task Legacy_routes_answer_404_for_unknown_collections()
    {
        var (status, _) = await instance.UploadAsync(Guid.NewGuid(), "a-exif-samples-arezzo/DSCN0012.jpg", part: "picture",
            fields: new Dictionary<string, string> { ["position"] = "1" }, path: $"/api/collections/{Guid.NewGuid()}/items");
        Assert.Equal(404, status);
        using var response = await instance.Http.GetAsync($"/api/collections/{Guid.NewGuid()}/geovisio_status");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>An instance storing its files in a real S3-compatible server (s3rver).</summary>
public sealed class S3UploadInstance : AnonymousUploadInstance
{
    private readonly S3rverServer _s3 = new();

    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings => _s3.StorageSettings("panoramax-uploads");

    public override async Task InitializeAsync()
    {
        await _s3.InitializeAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _s3.DisposeAsync();
    }
}

public sealed class S3UploadTests(S3UploadInstance instance) : IClassFixture<S3UploadInstance>
{
    [Fact]
    public async Task Upload_stores_the_raw_file_in_the_s3_store()
    {
        var set = (await instance.CreateSetAsync()).Id();
        var (status, body) = await instance.UploadAsync(set, "f-360-gopro-max/GSAG2002.JPG");
        Assert.True(status == 202, body.ToString());
        var store = instance.Services.GetRequiredService<IBlobStore>();
        Assert.Equal("S3BlobStore", store.GetType().Name);
        var key = Assert.Single(await store.ListAsync($"uploads/{set:D}/", default).ToListAsync());
        Assert.Equal(new FileInfo(TestPaths.SharedData("f-360-gopro-max", "GSAG2002.JPG")).Length, (await store.GetInfoAsync(key, default))!.Length);
        using var delete = await instance.Http.DeleteAsync($"/api/upload_sets/{set}");
        Assert.Empty(await store.ListAsync($"uploads/{set:D}/", default).ToListAsync());
    }
}
