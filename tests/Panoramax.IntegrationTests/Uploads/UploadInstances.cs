using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Uploads;

/// <summary>
/// An instance taking anonymous uploads (owned by the default account). Role <c>api</c>: no job worker, so the tests
/// see exactly what the upload wrote (processing is tested in Processing/ and end to end in EndToEnd/).
/// </summary>
public class AnonymousUploadInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Role", "api"),
        new("Panoramax:Auth:ForceAuthOnUpload", "false"),
        .. ExtraSettings,
    ];

    protected virtual IEnumerable<KeyValuePair<string, string>> ExtraSettings => [];
}

/// <summary>Same, with a small file size limit.</summary>
public sealed class SmallLimitInstance : AnonymousUploadInstance
{
    public const long Limit = 100_000;
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings => [new("Panoramax:Uploads:MaxFileBytes", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

/// <summary>Same, with a small picture size limit (in pixels).</summary>
public sealed class SmallPictureLimitInstance : AnonymousUploadInstance
{
    public const long MaxPixels = 100_000;
    protected override IEnumerable<KeyValuePair<string, string>> ExtraSettings => [new("Panoramax:Uploads:MaxPixels", MaxPixels.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

/// <summary>The default: uploads need an account (no job worker, as above).</summary>
public sealed class ForcedAuthInstance : TestInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Panoramax:Role", "api")];
}

/// <summary>The upload API as a client uses it (multipart like the CLI and the web page).</summary>
public static class UploadApi
{
    public static async Task<JsonElement> CreateSetAsync(this TestInstance instance, string title = "Test upload", int? estimated = null, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["title"] = title };
        if (estimated is not null)
        {
            body["estimated_nb_files"] = estimated;
        }
        if (extra is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                body[p.Name] = p.Value;
            }
        }
        using var response = await instance.Http.PostAsJsonAsync("/api/upload_sets", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"create answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Guid Id(this JsonElement json) => json.GetProperty("id").GetGuid();

    public static async Task<(int Status, JsonElement Body)> UploadAsync(this TestInstance instance, Guid setId, string sharedFile,
        string? fileName = null, IDictionary<string, string>? fields = null, string part = "file", string? path = null)
    {
        var bytes = await File.ReadAllBytesAsync(TestPaths.SharedData(sharedFile));
        return await instance.UploadBytesAsync(path ?? $"/api/upload_sets/{setId}/files", bytes, fileName ?? Path.GetFileName(sharedFile), fields, part);
    }

    public static async Task<(int Status, JsonElement Body)> UploadBytesAsync(this TestInstance instance, string path, byte[] bytes, string fileName,
        IDictionary<string, string>? fields = null, string part = "file")
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(content, part, fileName);
        foreach (var (k, v) in fields ?? new Dictionary<string, string>())
        {
            form.Add(new StringContent(v), k);
        }
        using var response = await instance.Http.PostAsync(path, form);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return ((int)response.StatusCode, body);
    }
}
