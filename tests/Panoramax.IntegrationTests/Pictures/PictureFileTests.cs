using System.Net;
using System.Net.Http.Headers;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Pictures;

/// <summary>Picture file routes (issue 5 §4), run against an instance storing on the filesystem and one storing in S3.</summary>
public abstract class PictureFileTests(PictureFilesInstance instance)
{
    [Theory]
    [InlineData("hd.jpg", "DSCN0010.jpg")]
    [InlineData("sd.jpg", "DSCN0012.jpg")]
    [InlineData("thumb.jpg", "DSCN0021.jpg")]
    public async Task Public_picture_files_are_served_as_jpeg_with_cache_and_cors_headers(string file, string expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/pictures/{instance["public-flat"]}/{file}");
        request.Headers.Add("Origin", "https://viewer.example.net");
        using var response = await instance.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg(expected)), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes", Assert.Single(response.Headers.AcceptRanges));
        Assert.NotNull(response.Headers.ETag);
        Assert.True(response.Headers.CacheControl is { Public: true, MaxAge: not null }, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.Equal("https://viewer.example.net", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Contains("Content-Range", response.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/api/pictures/{flat}/thumb.jpg")]
    [InlineData("/api/pictures/{360}/tiled/0_0.jpg")]
    [InlineData("/api/collections/{sequence}/thumb.jpg")]
    public Task File_routes_look_pictures_up_on_the_read_pool(string route) =>
        ReadPoolProbe.AssertRouteUsesReadPoolAsync(instance, route.Replace("{flat}", instance["public-flat"].ToString(), StringComparison.Ordinal)
            .Replace("{360}", instance["public-360"].ToString(), StringComparison.Ordinal)
            .Replace("{sequence}", instance.PublicSequence.ToString(), StringComparison.Ordinal));

    [Fact]
    public async Task Head_gives_the_size_and_validators_without_a_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/api/pictures/{instance["public-flat"]}/hd.jpg");
        using var response = await instance.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new FileInfo(PictureFilesInstance.SharedJpeg("DSCN0010.jpg")).Length, response.Content.Headers.ContentLength);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("0_0.jpg", "DSCN0025.jpg")]
    [InlineData("7_3.jpg", "DSCN0027.jpg")]
    public async Task Tiles_of_a_360_picture_are_served(string tile, string expected)
    {
        using var response = await instance.Http.GetAsync($"/api/pictures/{instance["public-360"]}/tiled/{tile}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg(expected)), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 99)]
    [InlineData("bytes=1000-1999", 1000, 1999)]
    [InlineData("bytes=-500", -500, -1)]
    [InlineData("bytes=2000-", 2000, -1)]
    [InlineData("bytes=0-0", 0, 0)]
    public async Task Byte_ranges_answer_206_with_the_exact_bytes(string range, int from, int to)
    {
        var full = await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg("DSCN0010.jpg"));
        var start = from < 0 ? full.Length + from : from;
        var end = to < 0 ? full.Length - 1 : to;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/pictures/{instance["public-flat"]}/hd.jpg");
        request.Headers.TryAddWithoutValidation("Range", range);
        using var response = await instance.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {start}-{end}/{full.Length}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(full[start..(end + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_range_past_the_end_answers_416_with_the_size()
    {
        var size = new FileInfo(PictureFilesInstance.SharedJpeg("DSCN0010.jpg")).Length;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/pictures/{instance["public-flat"]}/hd.jpg");
        request.Headers.TryAddWithoutValidation("Range", $"bytes={size}-");
        using var response = await instance.Http.SendAsync(request);

        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable);
        Assert.Equal($"bytes */{size}", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task A_stale_if_range_gets_the_whole_file()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/pictures/{instance["public-flat"]}/hd.jpg");
        request.Headers.TryAddWithoutValidation("Range", "bytes=0-9");
        request.Headers.TryAddWithoutValidation("If-Range", "\"not-the-etag\"");
        using var response = await instance.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new FileInfo(PictureFilesInstance.SharedJpeg("DSCN0010.jpg")).Length, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task A_matching_etag_answers_304_without_a_body()
    {
        var path = $"/api/pictures/{instance["public-flat"]}/thumb.jpg";
        using var first = await instance.Http.GetAsync(path);
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await instance.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, second.Headers.ETag);

        using var other = new HttpRequestMessage(HttpMethod.Get, path);
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        using var third = await instance.Http.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Theory]
    [InlineData("unknown", "hd.jpg")]
    [InlineData("not-a-uuid", "hd.jpg")]
    [InlineData("public-flat", "hd.png")]
    [InlineData("public-flat", "thumb.webp")]
    [InlineData("public-flat", "original.jpg")]
    [InlineData("public-flat", "tiled/0_0.jpg")]
    [InlineData("public-360", "tiled/8_0.jpg")]
    [InlineData("public-360", "tiled/0_4.jpg")]
    [InlineData("public-360", "tiled/-1_0.jpg")]
    [InlineData("public-360", "tiled/a_b.jpg")]
    [InlineData("public-360", "tiled/0_0_0.jpg")]
    [InlineData("public-360", "tiled/0_0.png")]
    [InlineData("owner-only", "hd.jpg")]
    [InlineData("owner-only", "thumb.jpg")]
    [InlineData("logged-only", "hd.jpg")]
    [InlineData("deleted", "hd.jpg")]
    [InlineData("in-hidden-sequence", "sd.jpg")]
    public async Task Unknown_invisible_or_malformed_files_answer_a_json_404(string picture, string file)
    {
        var id = picture switch
        {
            "unknown" => Guid.NewGuid().ToString(),
            "not-a-uuid" => "not-a-uuid",
            _ => instance[picture].ToString(),
        };
        using var response = await instance.Http.GetAsync($"/api/pictures/{id}/{file}");

        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("processing", "hd.jpg")]
    [InlineData("processing", "thumb.jpg")]
    [InlineData("in-processing-sequence", "hd.jpg")]
    public async Task Pictures_still_in_processing_answer_403_to_others_than_their_owner(string picture, string file)
    {
        using var response = await instance.Http.GetAsync($"/api/pictures/{instance[picture]}/{file}");

        var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("Picture is currently in processing", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_ready_picture_whose_file_is_missing_is_a_logged_server_error()
    {
        using var response = await instance.Http.GetAsync($"/api/pictures/{instance["missing-file"]}/hd.jpg");

        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.InternalServerError);
    }

    [Fact]
    public async Task Collection_thumbnail_is_the_thumb_of_its_first_visible_picture()
    {
        using var response = await instance.Http.GetAsync($"/api/collections/{instance.PublicSequence}/thumb.jpg");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.Public);
        // Rank 1 is owner-only: anonymous callers get rank 2's thumbnail.
        Assert.Equal(await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg("DSCN0021.jpg")), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("not-a-uuid")]
    [InlineData("processing-sequence")]
    [InlineData("hidden-sequence")]
    public async Task Collection_thumbnail_of_an_unknown_or_invisible_collection_is_a_json_404(string collection)
    {
        var id = collection switch
        {
            "unknown" => Guid.NewGuid().ToString(),
            "processing-sequence" => instance.ProcessingSequence.ToString(),
            "hidden-sequence" => instance.HiddenSequence.ToString(),
            _ => collection,
        };
        using var response = await instance.Http.GetAsync($"/api/collections/{id}/thumb.jpg");

        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.NotFound);
    }
}

public sealed class FileSystemPictureFileTests(PictureFilesInstance instance) : PictureFileTests(instance), IClassFixture<PictureFilesInstance>;

public sealed class S3PictureFileTests(S3PictureFilesInstance instance) : PictureFileTests(instance), IClassFixture<S3PictureFilesInstance>;
