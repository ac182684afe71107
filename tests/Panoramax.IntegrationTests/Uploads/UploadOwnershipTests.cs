using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Uploads;

/// <summary>Logged-in uploads: the caller owns the set; others get 403 on writes; admins may do everything.</summary>
public sealed class UploadOwnershipTests(ForcedAuthInstance instance) : IClassFixture<ForcedAuthInstance>
{
    private static async Task<(int Status, JsonElement Body)> SendFileAsync(HttpClient client, Guid set, string file)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(await File.ReadAllBytesAsync(TestPaths.SharedData(file)));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(content, "file", Path.GetFileName(file));
        using var response = await client.PostAsync($"/api/upload_sets/{set}/files", form);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private static async Task<JsonElement> CreateAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/upload_sets", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Only_the_owner_or_an_admin_may_write_to_an_upload_set()
    {
        var (ownerId, owner) = await TestAuth.UserAsync(instance, "owner");
        var (_, other) = await TestAuth.UserAsync(instance, "other");
        using var admin = await TestAuth.AdminAsync(instance);
        using (owner)
        using (other)
        {
            var set = (await CreateAsync(owner, new { title = "Mine" })).Id();
            Assert.Equal(ownerId, (await instance.GetJsonAsync($"/api/upload_sets/{set}")).GetProperty("account_id").GetGuid());

            Assert.Equal(403, (await SendFileAsync(other, set, "a-exif-samples-arezzo/DSCN0010.jpg")).Status);
            using (var patch = await other.PatchAsJsonAsync($"/api/upload_sets/{set}", new { sort_method = "time-desc" }))
            {
                Assert.Equal(HttpStatusCode.Forbidden, patch.StatusCode);
            }
            // Others may only change semantics.
            using (var tags = await other.PatchAsJsonAsync($"/api/upload_sets/{set}", new { semantics = new[] { new { key = "k", value = "v" } } }))
            {
                Assert.Equal(HttpStatusCode.OK, tags.StatusCode);
            }
            using (var complete = await other.PostAsync($"/api/upload_sets/{set}/complete", null))
            {
                Assert.Equal(HttpStatusCode.Forbidden, complete.StatusCode);
            }
            using (var delete = await other.DeleteAsync($"/api/upload_sets/{set}"))
            {
                Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
            }

            var (status, body) = await SendFileAsync(owner, set, "a-exif-samples-arezzo/DSCN0010.jpg");
            Assert.True(status == 202, body.ToString());
            Assert.Equal(202, (await SendFileAsync(admin, set, "a-exif-samples-arezzo/DSCN0012.jpg")).Status);
            using (var patch = await admin.PatchAsJsonAsync($"/api/upload_sets/{set}", new { sort_method = "filename-asc" }))
            {
                Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
            }

            // The owner's list; anonymous and other callers do not see picture ids in the file list.
            using (var mine = await owner.GetAsync("/api/users/me/upload_sets"))
            {
                var sets = JsonDocument.Parse(await mine.Content.ReadAsStringAsync()).RootElement.GetProperty("upload_sets");
                Assert.Contains(sets.EnumerateArray(), s => s.Id() == set);
            }
            var files = await instance.GetJsonAsync($"/api/upload_sets/{set}/files");
            Assert.All(files.GetProperty("files").EnumerateArray(), f => Assert.False(f.TryGetProperty("picture_id", out _)));
            using (var ownerFiles = await owner.GetAsync($"/api/upload_sets/{set}/files"))
            {
                var list = JsonDocument.Parse(await ownerFiles.Content.ReadAsStringAsync()).RootElement.GetProperty("files");
                Assert.All(list.EnumerateArray(), f => Assert.True(f.TryGetProperty("picture_id", out _)));
            }

            using (var delete = await admin.DeleteAsync($"/api/upload_sets/{set}"))
            {
                Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            }
        }
    }

    [Fact]
    public async Task Owner_only_upload_set_is_hidden_from_others()
    {
        var (_, owner) = await TestAuth.UserAsync(instance, "private-owner");
        var (_, other) = await TestAuth.UserAsync(instance, "curious");
        using (owner)
        using (other)
        {
            var set = (await CreateAsync(owner, new { title = "Private", visibility = "owner-only" })).Id();
            using var hidden = await other.GetAsync($"/api/upload_sets/{set}");
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            using var anonymous = await instance.Http.GetAsync($"/api/upload_sets/{set}/files");
            Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
            using var mine = await owner.GetAsync($"/api/upload_sets/{set}");
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }
    }
}
