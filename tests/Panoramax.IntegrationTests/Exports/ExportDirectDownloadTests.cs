using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Exports;

/// <summary>The export instance keeping its files in S3 (s3rver) with direct downloads on.</summary>
public sealed class S3DirectDownloadExportInstance : ExportInstance
{
    private readonly S3rverServer _s3 = new();

    public string StoreAuthority => _s3.Endpoint;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        .. _s3.StorageSettings("panoramax-exports"),
        new("Panoramax:Storage:S3:DirectDownloads", "true"),
    ];

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

/// <summary>
/// With direct downloads, an export's archive is fetched from the store through a short-lived link made for its owner
/// (named and not cacheable by the store's response overrides); others get the same 404 as without.
/// </summary>
public sealed class ExportDirectDownloadTests(S3DirectDownloadExportInstance f) : IClassFixture<S3DirectDownloadExportInstance>
{
    [Fact]
    public async Task The_owner_is_sent_to_a_private_link_on_the_store_that_serves_the_archive()
    {
        var (id, status) = await f.AliceExportAsync();

        using var redirect = await f.AliceClient.GetAsync($"/api/users/me/export/{id}/download");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.True(redirect.Headers.CacheControl is { NoStore: true, Private: true }, $"Cache-Control of the redirect: {redirect.Headers.CacheControl}");
        var link = redirect.Headers.Location!;
        Assert.Equal(f.StoreAuthority, link.Authority);
        Assert.Contains("X-Amz-Signature=", link.Query, StringComparison.Ordinal);

        // The link works without the owner's session (it is the capability), as a download manager would use it.
        using var plain = new HttpClient();
        using var response = await plain.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.StartsWith("panoramax-export-", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl is { NoStore: true, Private: true }, $"Cache-Control from the store: {response.Headers.CacheControl}");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(status.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        Assert.Equal(f.ExpectedFiles.Count, zip.Entries.Count(e => e.FullName.StartsWith("pictures/", StringComparison.Ordinal) && e.FullName.EndsWith(".jpg", StringComparison.Ordinal)));

        // HEAD stays on the instance (the link is signed for GET).
        using var head = await f.AliceClient.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/users/me/export/{id}/download"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Null(head.Headers.Location);
        Assert.Equal(bytes.LongLength, head.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Another_account_gets_a_404_and_no_link()
    {
        var (id, _) = await f.AliceExportAsync();

        using var other = await f.BobClient.GetAsync($"/api/users/me/export/{id}/download");

        Assert.Null(other.Headers.Location);
        await JsonAssert.IsApiErrorAsync(other, HttpStatusCode.NotFound);
    }
}
