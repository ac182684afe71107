using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Uploads;

public sealed class ExcludedAreaUploadTests(ForcedAuthInstance instance) : IClassFixture<ForcedAuthInstance>
{
    [Fact]
    public async Task Upload_inside_an_excluded_area_is_rejected_with_reason_and_outside_it_is_accepted()
    {
        using var admin = await TestAuth.AdminAsync(instance);
        using var area = await admin.PostAsJsonAsync("/api/configuration/excluded_areas", new
        {
            type = "Feature",
            properties = new { label = "Military base", is_public = true },
            geometry = new
            {
                type = "Polygon",
                coordinates = new[] { new[] { new[] { 10.0, 10.0 }, new[] { 10.01, 10.0 }, new[] { 10.01, 10.01 }, new[] { 10.0, 10.01 }, new[] { 10.0, 10.0 } } },
            },
        });
        Assert.True(area.IsSuccessStatusCode, await area.Content.ReadAsStringAsync());

        var (_, user) = await TestAuth.UserAsync(instance, "near-the-base");
        using var created = await user.PostAsJsonAsync("/api/upload_sets", new { title = "Near the base" });
        var set = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        var (inside, insideBody) = await UploadAtAsync(user, set, "DSCN0010.jpg", 10.005, 10.005);
        Assert.Equal(HttpStatusCode.BadRequest, inside);
        Assert.Contains("excluded area", insideBody.GetProperty("message").GetString(), StringComparison.Ordinal);

        var (outside, outsideBody) = await UploadAtAsync(user, set, "DSCN0012.jpg", 10.05, 10.05);
        Assert.True(outside == HttpStatusCode.Accepted, outsideBody.ToString());

        var files = JsonDocument.Parse(await user.GetStringAsync($"/api/upload_sets/{set}/files")).RootElement.GetProperty("files").EnumerateArray().ToList();
        var rejected = Assert.Single(files, f => f.TryGetProperty("rejected", out _));
        Assert.Equal("DSCN0010.jpg", rejected.GetProperty("file_name").GetString());
        Assert.Equal("invalid_metadata", rejected.GetProperty("rejected").GetProperty("reason").GetString());
    }

    private static async Task<(HttpStatusCode, JsonElement)> UploadAtAsync(HttpClient client, Guid set, string name, double lon, double lat)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(await File.ReadAllBytesAsync(TestPaths.SharedData("a-exif-samples-arezzo", name)));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(content, "file", name);
        form.Add(new StringContent(lon.ToString(System.Globalization.CultureInfo.InvariantCulture)), "override_longitude");
        form.Add(new StringContent(lat.ToString(System.Globalization.CultureInfo.InvariantCulture)), "override_latitude");
        using var response = await client.PostAsync($"/api/upload_sets/{set}/files", form);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
