using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Pictures;

/// <summary>
/// <c>Panoramax:Storage:S3:DirectDownloads</c>: public picture files answer 302 to a presigned link on the store's public
/// endpoint (real s3rver checking the signatures); files not visible to everyone are still relayed after the check.
/// </summary>
public sealed class DirectDownloadTests(S3DirectDownloadPictureFilesInstance instance) : IClassFixture<S3DirectDownloadPictureFilesInstance>, IDisposable
{
    private readonly HttpClient _noRedirects = new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = instance.BaseUrl };
    private readonly HttpClient _browser = new();

    [Theory]
    [InlineData("/api/pictures/{flat}/hd.jpg", "DSCN0010.jpg")]
    [InlineData("/api/pictures/{flat}/sd.jpg", "DSCN0012.jpg")]
    [InlineData("/api/pictures/{flat}/thumb.jpg", "DSCN0021.jpg")]
    [InlineData("/api/pictures/{360}/tiled/7_3.jpg", "DSCN0027.jpg")]
    [InlineData("/api/collections/{sequence}/thumb.jpg", "DSCN0021.jpg")]
    public async Task Public_files_redirect_to_a_presigned_link_on_the_public_endpoint_that_serves_the_same_bytes(string route, string expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Route(route));
        request.Headers.Add("Origin", "https://viewer.example.net");
        using var response = await _noRedirects.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith($"{instance.PublicEndpoint}/panoramax-pictures/pictures/", location.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains("X-Amz-Signature=", location.Query, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl is { Public: true, MaxAge: { } maxAge } && maxAge > TimeSpan.Zero && maxAge <= TimeSpan.FromHours(1),
            $"Cache-Control: {response.Headers.CacheControl}");
        // The viewer follows the redirect from a page on another origin: the redirect itself carries CORS headers.
        Assert.Equal("https://viewer.example.net", response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var file = await _browser.GetAsync(location);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg(expected)), await file.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_is_answered_by_the_instance_since_a_presigned_get_is_for_get_only()
    {
        using var response = await _noRedirects.SendAsync(new HttpRequestMessage(HttpMethod.Head, Route("/api/pictures/{flat}/hd.jpg")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal(new FileInfo(PictureFilesInstance.SharedJpeg("DSCN0010.jpg")).Length, response.Content.Headers.ContentLength);
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task A_byte_range_asked_of_the_link_gets_exactly_those_bytes()
    {
        using var response = await _noRedirects.GetAsync(Route("/api/pictures/{flat}/hd.jpg"));
        using var request = new HttpRequestMessage(HttpMethod.Get, response.Headers.Location);
        request.Headers.TryAddWithoutValidation("Range", "bytes=100-199");
        using var part = await _browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        var whole = await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg("DSCN0010.jpg"));
        Assert.Equal(whole[100..200], await part.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("owner-only")]
    [InlineData("logged-only")]
    [InlineData("in-hidden-sequence")]
    public async Task Files_not_visible_to_everyone_are_relayed_after_the_check_never_linked(string picture)
    {
        using var anonymous = await _noRedirects.GetAsync($"/api/pictures/{instance[picture]}/hd.jpg");
        Assert.Null(anonymous.Headers.Location);
        await JsonAssert.IsApiErrorAsync(anonymous, HttpStatusCode.NotFound);

        // An admin sees them: the bytes come from the instance itself, with a private cache policy and no link.
        using var admin = await TestAuth.AdminAsync(instance);
        using var response = await admin.GetAsync($"/api/pictures/{instance[picture]}/hd.jpg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(instance.BaseUrl.Authority, response.RequestMessage!.RequestUri!.Authority);
        Assert.True(response.Headers.CacheControl?.Private, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.Equal(await File.ReadAllBytesAsync(PictureFilesInstance.SharedJpeg("DSCN0010.jpg")), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Pictures_still_in_processing_are_refused_before_any_link_is_made()
    {
        using var response = await _noRedirects.GetAsync($"/api/pictures/{instance["processing"]}/hd.jpg");

        Assert.Null(response.Headers.Location);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task One_link_is_shared_through_a_window_and_the_store_refuses_it_once_expired_or_altered()
    {
        var links = (IBlobDownloadLinks)instance.Services.GetRequiredService<IBlobStore>();
        var key = StorageKeys.Hd(instance["public-flat"]);
        // The window (one hour by default) holding "now": links signed in it are valid now.
        var now = TimeProvider.System.GetUtcNow();
        var windowStart = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);

        var early = (await links.GetDownloadLinkAsync(key, windowStart.AddMinutes(1), default))!;
        var late = (await links.GetDownloadLinkAsync(key, windowStart.AddMinutes(59), default))!;
        var next = (await links.GetDownloadLinkAsync(key, windowStart.AddMinutes(61), default))!;
        Assert.Equal(early.Url, late.Url);
        Assert.Equal(windowStart.AddHours(1), early.ShareUntil);
        Assert.NotEqual(early.Url, next.Url);
        using (var current = await _browser.GetAsync(early.Url))
        {
            Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        }

        // Signed three windows ago: valid for two windows from then, so no longer.
        var expired = (await links.GetDownloadLinkAsync(key, windowStart.AddHours(-3), default))!;
        using (var refused = await _browser.GetAsync(expired.Url))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // A link is for its one object: another key with the same signature is refused.
        var altered = early.Url.AbsoluteUri.Replace("/hd.jpg?", "/sd.jpg?", StringComparison.Ordinal);
        using (var forged = await _browser.GetAsync(altered))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        }

        // Signed for the host browsers use (the public endpoint), not the one the instance talks to.
        var otherHost = early.Url.AbsoluteUri.Replace("//localhost:", "//127.0.0.1:", StringComparison.Ordinal);
        using (var wrongHost = await _browser.GetAsync(otherHost))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongHost.StatusCode);
        }
    }

    private string Route(string route) => route
        .Replace("{flat}", instance["public-flat"].ToString(), StringComparison.Ordinal)
        .Replace("{360}", instance["public-360"].ToString(), StringComparison.Ordinal)
        .Replace("{sequence}", instance.PublicSequence.ToString(), StringComparison.Ordinal);

    public void Dispose()
    {
        _noRedirects.Dispose();
        _browser.Dispose();
    }
}
