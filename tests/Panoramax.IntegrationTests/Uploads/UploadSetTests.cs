using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.UploadSets;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Uploads;

/// <summary>Upload-set rules: duplicates, overrides, names, completion, PATCH, DELETE (anonymous uploads on the default account).</summary>
public sealed class UploadSetTests(AnonymousUploadInstance instance) : IClassFixture<AnonymousUploadInstance>
{
    private const string Arezzo10 = "a-exif-samples-arezzo/DSCN0010.jpg";
    private const string Arezzo12 = "a-exif-samples-arezzo/DSCN0012.jpg";
    private const string NoExif = "a-exif-samples-arezzo/no_exif.jpg";

    private async Task<int> JobsAsync(string kind, Guid target)
    {
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            return await db.Jobs.CountAsync(j => j.Kind == kind && j.TargetId == target);
        }
    }

    [Fact]
    public async Task Created_upload_set_has_geovisio_shape_location_and_default_owner()
    {
        using var response = await instance.Http.PostAsJsonAsync("/api/upload_sets", new { title = "Shape", estimated_nb_files = 3, sort_method = "filename-asc", split_distance = 50, metadata = new { cli_configuration = new { x = 1 } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var id = json.Id();
        Assert.Equal(instance.BaseUrl + $"api/upload_sets/{id}", response.Headers.Location!.ToString());
        Assert.Equal("Shape", json.GetProperty("title").GetString());
        Assert.Equal(3, json.GetProperty("estimated_nb_files").GetInt32());
        Assert.Equal("filename-asc", json.GetProperty("sort_method").GetString());
        Assert.Equal(50, json.GetProperty("split_distance").GetInt32());
        Assert.False(json.GetProperty("completed").GetBoolean());
        Assert.False(json.GetProperty("dispatched").GetBoolean());
        Assert.False(json.GetProperty("ready").GetBoolean());
        Assert.Equal(1, json.GetProperty("metadata").GetProperty("cli_configuration").GetProperty("x").GetInt32());
        Assert.Equal(0, json.GetProperty("nb_items").GetInt32());
        Assert.Equal(0, json.GetProperty("items_status").GetProperty("rejected").GetInt32());
        Assert.False(json.TryGetProperty("split_time", out _)); // null fields are omitted
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var owner = await db.Accounts.SingleAsync(a => a.Id == json.GetProperty("account_id").GetGuid());
            Assert.True(owner.IsDefault);
        }
    }

    [Theory]
    [InlineData("""{"estimated_nb_files": 2}""", "title")]
    [InlineData("""{"title": "x", "no_split": true, "split_distance": 10}""", "no_split")]
    [InlineData("""{"title": "x", "no_deduplication": true, "duplicate_distance": 2}""", "no_deduplication")]
    [InlineData("""{"title": "x", "sort_method": "random"}""", "sort_method")]
    [InlineData("""{"title": "x", "visibility": "logged-only"}""", "visibility")]
    [InlineData("""{"title": "x", "unknown": 1}""", "unknown")]
    public async Task Bad_upload_set_options_are_400_with_the_field(string body, string field)
    {
        using var response = await instance.Http.PostAsync("/api/upload_sets", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, json.GetProperty("status_code").GetInt32());
        Assert.Contains(json.GetProperty("details").EnumerateArray(), d => d.GetProperty("fields")[0].GetString() == field);
    }

    [Fact]
    public async Task Upload_set_routes_want_json_and_multipart()
    {
        using var form = await instance.Http.PostAsync("/api/upload_sets", new FormUrlEncodedContent([new("title", "x")]));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        var set = (await instance.CreateSetAsync()).Id();
        using var json = await instance.Http.PostAsJsonAsync($"/api/upload_sets/{set}/files", new { file = "x" });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        var (status, body) = await instance.UploadAsync(set, Arezzo10, part: "picture");
        Assert.Equal(400, status);
        Assert.Contains("file", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        using var missing = await instance.Http.GetAsync($"/api/upload_sets/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Same_file_twice_in_a_set_is_409_with_the_existing_item_and_not_tracked()
    {
        var set = (await instance.CreateSetAsync()).Id();
        var (first, body) = await instance.UploadAsync(set, Arezzo10);
        Assert.Equal(202, first);
        var (again, conflict) = await instance.UploadAsync(set, Arezzo10, fileName: "renamed.jpg");
        Assert.Equal(409, again);
        Assert.Equal(body.GetProperty("picture_id").GetGuid(), conflict.GetProperty("existing_item").GetProperty("id").GetGuid());
        var files = await instance.GetJsonAsync($"/api/upload_sets/{set}/files");
        Assert.Single(files.GetProperty("files").EnumerateArray());
    }

    [Fact]
    public async Task Same_file_in_another_set_is_rejected_as_file_duplicate()
    {
        var first = (await instance.CreateSetAsync()).Id();
        var (_, accepted) = await instance.UploadAsync(first, Arezzo12);
        var second = (await instance.CreateSetAsync()).Id();
        var (status, body) = await instance.UploadAsync(second, Arezzo12);
        Assert.Equal(409, status);
        var existing = Assert.Single(body.GetProperty("upload_sets").EnumerateArray());
        Assert.Equal(accepted.GetProperty("picture_id").GetGuid(), existing.GetProperty("existing_item_id").GetGuid());
        Assert.Equal(first, existing.GetProperty("upload_set_id").GetGuid());

        var files = await instance.GetJsonAsync($"/api/upload_sets/{second}/files");
        var rejected = Assert.Single(files.GetProperty("files").EnumerateArray()).GetProperty("rejected");
        Assert.Equal("file_duplicate", rejected.GetProperty("reason").GetString());
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            Assert.Equal(1, await db.Pictures.CountAsync(p => p.OriginalFileName == "DSCN0012.jpg" && p.DeletedAt == null));
        }
    }

    [Fact]
    public async Task Another_file_with_the_same_name_in_a_set_is_409()
    {
        var set = (await instance.CreateSetAsync()).Id();
        Assert.Equal(202, (await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0021.jpg", fileName: "same.jpg")).Status);
        Assert.Equal(409, (await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0025.jpg", fileName: "same.jpg")).Status);
    }

    [Fact]
    public async Task Capture_time_and_position_overrides_make_a_picture_without_metadata_acceptable()
    {
        var set = (await instance.CreateSetAsync()).Id();
        var (status, body) = await instance.UploadAsync(set, NoExif, fields: new Dictionary<string, string>
        {
            ["override_capture_time"] = "2024-05-01T10:00:00+02:00",
            ["override_longitude"] = "2.3522",
            ["override_latitude"] = "48.8566",
            ["isBlurred"] = "true",
        });
        Assert.True(status == 202, body.ToString());
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var p = await db.Pictures.SingleAsync(x => x.Id == body.GetProperty("picture_id").GetGuid());
            Assert.Equal((2.3522, 48.8566), (p.Location.X, p.Location.Y));
            Assert.Equal(DateTimeOffset.Parse("2024-05-01T08:00:00Z", CultureInfo.InvariantCulture), p.CapturedAt);
            Assert.Equal((short)120, p.CaptureUtcOffsetMinutes);
            Assert.True(p.Blurred);
            Assert.Equal(BlurSource.DeclaredByUploader, p.BlurSource);
        }
    }

    [Fact]
    public async Task A_position_override_alone_leaves_the_datetime_missing()
    {
        var set = (await instance.CreateSetAsync()).Id();
        var (status, body) = await instance.UploadAsync(set, "c-immich-formats/portrait.jpg", fields: new Dictionary<string, string> { ["override_longitude"] = "2", ["override_latitude"] = "48" });
        Assert.Equal(400, status);
        Assert.Equal(["datetime"], body.GetProperty("details").GetProperty("missing_fields").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public async Task Exif_and_xmp_override_fields_are_written_into_the_stored_file_before_it_is_read()
    {
        var set = (await instance.CreateSetAsync()).Id();
        // Other tests send the same file: one more byte after the JPEG end makes it new to the duplicate check.
        var bytes = (await File.ReadAllBytesAsync(TestPaths.SharedData(NoExif))).Append((byte)1).ToArray();
        var (status, body) = await instance.UploadBytesAsync($"/api/upload_sets/{set}/files", bytes, "tagged.jpg", new Dictionary<string, string>
        {
            // Everything a picture needs, given as tags (GeoVisio's exiv2 key notation) instead of override_* values.
            ["override_Exif.Photo.DateTimeOriginal"] = "2021:07:04 10:11:12",
            ["override_Exif.GPSInfo.GPSLatitude"] = "43/1 28/1 0/1",
            ["override_Exif.GPSInfo.GPSLatitudeRef"] = "N",
            ["override_Exif.GPSInfo.GPSLongitude"] = "11/1 52/1 48/1",
            ["override_Exif.GPSInfo.GPSLongitudeRef"] = "E",
            ["override_Exif.Image.Artist"] = "Jane \"Q\" Doe; rm -rf /",
            ["override_Xmp.dc.creator"] = "Someone Else",
        });
        Assert.True(status == 202, body.ToString());
        string originalKey;
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var p = await db.Pictures.SingleAsync(x => x.Id == body.GetProperty("picture_id").GetGuid());
            Assert.Equal(43 + 28 / 60.0, p.Location.Y, 6);
            Assert.Equal(11 + 52 / 60.0 + 48 / 3600.0, p.Location.X, 6);
            Assert.Equal(new DateTime(2021, 7, 4, 10, 11, 12, DateTimeKind.Utc), p.CapturedAt.UtcDateTime);
            originalKey = p.OriginalKey!;
        }
        var store = instance.Services.GetRequiredService<IBlobStore>();
        await using var stored = (await store.OpenReadAsync(originalKey, 0, null, default))!;
        var directories = MetadataExtractor.ImageMetadataReader.ReadMetadata(stored);
        var ifd0 = directories.OfType<MetadataExtractor.Formats.Exif.ExifIfd0Directory>().Single();
        Assert.Equal("Jane \"Q\" Doe; rm -rf /", MetadataExtractor.DirectoryExtensions.GetString(ifd0, MetadataExtractor.Formats.Exif.ExifDirectoryBase.TagArtist));
        var xmp = directories.OfType<MetadataExtractor.Formats.Xmp.XmpDirectory>().Single();
        Assert.Contains(xmp.GetXmpProperties(), kv => kv.Key.StartsWith("dc:creator", StringComparison.Ordinal) && kv.Value == "Someone Else");
    }

    [Fact]
    public async Task Override_tags_on_a_file_that_is_no_jpeg_give_the_invalid_file_rejection()
    {
        var set = (await instance.CreateSetAsync()).Id();
        var bytes = Encoding.UTF8.GetBytes("this is not a picture at all");
        var (status, body) = await instance.UploadBytesAsync($"/api/upload_sets/{set}/files", bytes, "fake.jpg",
            new Dictionary<string, string> { ["override_Exif.Image.Artist"] = "me" });
        Assert.Equal(400, status);
        var files = await instance.GetJsonAsync($"/api/upload_sets/{set}/files");
        var rejected = Assert.Single(files.GetProperty("files").EnumerateArray());
        Assert.Equal("invalid_file", rejected.GetProperty("rejected").GetProperty("reason").GetString());
        Assert.NotNull(body.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("override_longitude", "2")]
    [InlineData("override_capture_time", "yesterday")]
    [InlineData("isBlurred", "maybe")]
    [InlineData("override_Exif.Foo.Bar", "1")]
    [InlineData("override_Xmp.nosuchns.Thing", "1")]
    [InlineData("override_Exif.Image.Artist", "two\nlines")]
    [InlineData("override_Exif.", "x")]
    public async Task Bad_override_fields_are_400_and_not_tracked(string field, string value)
    {
        var set = (await instance.CreateSetAsync()).Id();
        var (status, _) = await instance.UploadAsync(set, Arezzo10, fields: new Dictionary<string, string> { [field] = value });
        Assert.Equal(400, status);
        var files = await instance.GetJsonAsync($"/api/upload_sets/{set}/files");
        Assert.Empty(files.GetProperty("files").EnumerateArray());
    }

    [Theory]
    [InlineData("../../etc/passwd.jpg", "passwd.jpg")]
    [InlineData("C:\\Users\\me\\Pictures\\IMG 1.jpg", "IMG 1.jpg")]
    [InlineData("<script>alert(1)<\\script>.jpg", "script_.jpg")]
    [InlineData("<img src=x onerror=alert(1)>.jpg", "_img src=x onerror=alert(1)_.jpg")]
    [InlineData("..", "picture.jpg")]
    [InlineData("tab\there\u202e.jpg", "tab_here_.jpg")]
    public async Task Hostile_file_names_are_sanitised(string sent, string kept)
    {
        var set = (await instance.CreateSetAsync()).Id();
        // Unique bytes per case (one more byte after the JPEG end), so no case is a duplicate of another.
        var bytes = (await File.ReadAllBytesAsync(TestPaths.SharedData("b-mapillary-tools/corrupt_exif_2.jpg"))).Concat(Encoding.UTF8.GetBytes(sent)).ToArray();
        var (status, body) = await instance.UploadBytesAsync($"/api/upload_sets/{set}/files", bytes, sent);
        Assert.True(status == 202, body.ToString());
        Assert.Equal(kept, body.GetProperty("file_name").GetString());
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var row = await db.UploadSetFiles.SingleAsync(f => f.UploadSetId == set);
            Assert.Equal(StorageKeys.Upload(set, row.Id), (await db.Pictures.SingleAsync(p => p.Id == row.PictureId)).OriginalKey);
        }
        await instance.Http.DeleteAsync($"/api/upload_sets/{set}");
    }

    [Fact]
    public async Task Set_completes_by_itself_at_the_estimated_file_count_rejections_included()
    {
        var set = (await instance.CreateSetAsync(estimated: 2)).Id();
        Assert.Equal(202, (await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0027.jpg")).Status);
        Assert.False((await instance.GetJsonAsync($"/api/upload_sets/{set}")).GetProperty("completed").GetBoolean());
        Assert.Equal(0, await JobsAsync("dispatch_upload_set", set));
        Assert.Equal(400, (await instance.UploadAsync(set, "h-bad-files/empty.jpg")).Status);
        var json = await instance.GetJsonAsync($"/api/upload_sets/{set}");
        Assert.True(json.GetProperty("completed").GetBoolean());
        Assert.Equal(1, json.GetProperty("nb_items").GetInt32());
        Assert.Equal(1, json.GetProperty("items_status").GetProperty("not_processed").GetInt32());
        Assert.Equal(1, json.GetProperty("items_status").GetProperty("rejected").GetInt32());
        Assert.Equal(1, await JobsAsync("dispatch_upload_set", set));
    }

    [Fact]
    public async Task Completing_queues_dispatch_and_a_new_file_uncompletes_the_set()
    {
        var set = (await instance.CreateSetAsync()).Id();
        Assert.Equal(202, (await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0029.jpg")).Status);
        using var complete = await instance.Http.PostAsync($"/api/upload_sets/{set}/complete", null);
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        var json = JsonDocument.Parse(await complete.Content.ReadAsStringAsync()).RootElement;
        Assert.True(json.GetProperty("completed").GetBoolean());
        Assert.Equal(1, await JobsAsync("dispatch_upload_set", set));

        Assert.Equal(202, (await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0038.jpg")).Status);
        Assert.False((await instance.GetJsonAsync($"/api/upload_sets/{set}")).GetProperty("completed").GetBoolean());
    }

    [Fact]
    public async Task Patch_changes_options_and_refuses_title_and_unknown_fields()
    {
        var set = (await instance.CreateSetAsync()).Id();
        using var ok = await instance.Http.PatchAsJsonAsync($"/api/upload_sets/{set}", new { sort_method = "time-desc", visibility = "owner-only", semantics = new[] { new { key = "surface", value = "asphalt" } } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var json = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("time-desc", json.GetProperty("sort_method").GetString());
        Assert.Equal("owner-only", json.GetProperty("visibility").GetString());
        Assert.Equal("asphalt", json.GetProperty("semantics")[0].GetProperty("value").GetString());

        using var delete = await instance.Http.PatchAsJsonAsync($"/api/upload_sets/{set}", new { semantics = new[] { new { key = "surface", value = "asphalt", action = "delete" } } });
        Assert.Empty(JsonDocument.Parse(await delete.Content.ReadAsStringAsync()).RootElement.GetProperty("semantics").EnumerateArray());

        using var title = await instance.Http.PatchAsJsonAsync($"/api/upload_sets/{set}", new { title = "new" });
        Assert.Equal(HttpStatusCode.BadRequest, title.StatusCode);
        Assert.Contains("Extra inputs are not permitted", await title.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_removes_the_set_its_pictures_and_their_upload_files()
    {
        var set = (await instance.CreateSetAsync()).Id();
        var (_, body) = await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0040.jpg");
        var pictureId = body.GetProperty("picture_id").GetGuid();
        using var delete = await instance.Http.DeleteAsync($"/api/upload_sets/{set}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await instance.Http.GetAsync($"/api/upload_sets/{set}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var p = await db.Pictures.SingleAsync(x => x.Id == pictureId);
            Assert.NotNull(p.DeletedAt);
            Assert.Equal(PictureStatus.WaitingForDelete, p.Status);
        }
        Assert.Equal(1, await JobsAsync("delete_picture_files", pictureId));
        var store = instance.Services.GetRequiredService<IBlobStore>();
        Assert.Empty(await store.ListAsync($"uploads/{set:D}/", default).ToListAsync());
        // The same bytes may then be sent again: the deleted picture is no duplicate.
        var again = (await instance.CreateSetAsync()).Id();
        Assert.Equal(202, (await instance.UploadAsync(again, "a-exif-samples-arezzo/DSCN0040.jpg")).Status);
    }

    [Fact]
    public async Task Parallel_uploads_into_one_set_all_count_towards_completion()
    {
        var files = new[] { "DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg", "DSCN0025.jpg", "DSCN0027.jpg", "DSCN0029.jpg", "DSCN0038.jpg", "DSCN0042.jpg" };
        var set = (await instance.CreateSetAsync("Parallel", estimated: files.Length, extra: new { no_deduplication = true })).Id();
        // Same bytes as other tests' files, but each set is per account: make them new files with one changed byte at the end.
        var results = await Task.WhenAll(files.Select(async f =>
        {
            var bytes = await File.ReadAllBytesAsync(TestPaths.SharedData("a-exif-samples-arezzo", f));
            var changed = bytes.Append((byte)0).ToArray();
            return (await instance.UploadBytesAsync($"/api/upload_sets/{set}/files", changed, f)).Status;
        }));
        Assert.All(results, s => Assert.Equal(202, s));
        var json = await instance.GetJsonAsync($"/api/upload_sets/{set}");
        Assert.True(json.GetProperty("completed").GetBoolean());
        Assert.Equal(files.Length, json.GetProperty("nb_items").GetInt32());
    }

    [Fact]
    public async Task My_upload_sets_needs_a_login()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };
        using var response = await http.GetAsync("/api/users/me/upload_sets");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/api/auth/login?next_url=", response.Headers.Location!.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>The size limit: 413 with the limit in the message, nothing tracked or left behind.</summary>
public sealed class UploadSizeLimitTests(SmallLimitInstance instance) : IClassFixture<SmallLimitInstance>
{
    [Fact]
    public async Task File_over_the_size_limit_is_413_with_the_limit_in_the_message()
    {
        var set = (await instance.CreateSetAsync()).Id();
        var (status, body) = await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0010.jpg");
        Assert.Equal(413, status);
        Assert.Contains(SmallLimitInstance.Limit.ToString(CultureInfo.InvariantCulture), body.GetProperty("message").GetString(), StringComparison.Ordinal);
        var files = await instance.GetJsonAsync($"/api/upload_sets/{set}/files");
        Assert.Empty(files.GetProperty("files").EnumerateArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(instance.DataDirectory, "tmp", "uploads")));
        // Files under the limit still go through.
        Assert.Equal(202, (await instance.UploadAsync(set, "c-immich-formats/datetimeoriginal-gps.jpg")).Status);
    }
}

/// <summary>The pixel limit: a picture larger than it is a tracked invalid_file rejection that gives its size.</summary>
public sealed class UploadPixelLimitTests(SmallPictureLimitInstance instance) : IClassFixture<SmallPictureLimitInstance>
{
    [Fact]
    public async Task Picture_over_the_pixel_limit_is_rejected_with_its_size_and_the_limit()
    {
        var set = (await instance.CreateSetAsync()).Id();
        // 640 × 480 = 307,200 pixels against a limit of 100,000.
        var (status, body) = await instance.UploadAsync(set, "a-exif-samples-arezzo/DSCN0010.jpg");
        Assert.Equal(400, status);
        Assert.Contains("640 × 480 pixels", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        var files = await instance.GetJsonAsync($"/api/upload_sets/{set}/files");
        var rejected = Assert.Single(files.GetProperty("files").EnumerateArray()).GetProperty("rejected");
        Assert.Equal("invalid_file", rejected.GetProperty("reason").GetString());
        Assert.Contains("0.1 megapixels", rejected.GetProperty("message").GetString(), StringComparison.Ordinal);
        // 100 × 150 pictures still go through.
        Assert.Equal(202, (await instance.UploadAsync(set, "c-immich-formats/datetimeoriginal-gps.jpg")).Status);
    }
}

/// <summary>The default: uploads need an account (GeoVisio's plain 401 body), reads stay open.</summary>
public sealed class UploadAuthTests(ForcedAuthInstance instance) : IClassFixture<ForcedAuthInstance>
{
    [Theory]
    [InlineData("POST", "/api/upload_sets")]
    [InlineData("POST", "/api/upload_sets/01900000-0000-7000-8000-000000000000/files")]
    [InlineData("POST", "/api/upload_sets/01900000-0000-7000-8000-000000000000/complete")]
    [InlineData("PATCH", "/api/upload_sets/01900000-0000-7000-8000-000000000000")]
    [InlineData("DELETE", "/api/upload_sets/01900000-0000-7000-8000-000000000000")]
    [InlineData("POST", "/api/collections")]
    [InlineData("POST", "/api/collections/01900000-0000-7000-8000-000000000000/items")]
    public async Task Anonymous_upload_is_401_authentication_is_mandatory(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{\"title\":\"x\"}", Encoding.UTF8, "application/json") };
        using var response = await instance.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"message":"Authentication is mandatory"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Upload_page_is_served_with_its_script()
    {
        var html = await instance.Http.GetStringAsync("/upload");
        Assert.Contains("<label for=\"files\">", html, StringComparison.Ordinal);
        Assert.Contains("data-force-auth=\"true\"", html, StringComparison.Ordinal);
        using var js = await instance.Http.GetAsync("/upload/upload.js");
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Contains("upload_sets", await js.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
