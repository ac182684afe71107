using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Abstractions;
using Panoramax.Storage;
using Panoramax.Storage.FileSystem;
using Panoramax.Storage.S3;

namespace Panoramax.UnitTests.Storage;

public class StorageRegistrationTests
{
    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        return new ServiceCollection().AddLogging().AddPanoramaxStorage(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Filesystem_is_the_default_under_the_data_directory()
    {
        using var sp = Build(("Panoramax:DataDirectory", "/srv/panoramax"));

        var store = Assert.IsType<FileSystemBlobStore>(sp.GetRequiredService<IBlobStore>());
        Assert.Equal("/srv/panoramax/storage", store.Root);
    }

    [Theory]
    [InlineData("files", "/srv/panoramax/files")]
    [InlineData("/mnt/pictures", "/mnt/pictures")]
    public void A_relative_root_lives_in_the_data_directory(string root, string expected)
    {
        using var sp = Build(("Panoramax:DataDirectory", "/srv/panoramax"), ("Panoramax:Storage:Kind", "filesystem"), ("Panoramax:Storage:FileSystem:Root", root));

        Assert.Equal(expected, Assert.IsType<FileSystemBlobStore>(sp.GetRequiredService<IBlobStore>()).Root);
    }

    [Fact]
    public void S3_kind_registers_the_s3_store()
    {
        using var sp = Build(
            ("Panoramax:Storage:Kind", "s3"),
            ("Panoramax:Storage:S3:Endpoint", "https://s3.example.org"),
            ("Panoramax:Storage:S3:Bucket", "pictures"),
            ("Panoramax:Storage:S3:AccessKey", "key"),
            ("Panoramax:Storage:S3:SecretKey", "secret"));

        Assert.IsType<S3BlobStore>(sp.GetRequiredService<IBlobStore>());
        Assert.Same(sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IBlobStore>());
    }

    [Fact]
    public void S3_without_endpoint_or_bucket_is_a_configuration_error()
    {
        using var sp = Build(("Panoramax:Storage:Kind", "s3"));

        var error = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains("Endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("Bucket", error.Message, StringComparison.Ordinal);
        Assert.Contains("AccessKey and SecretKey", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DirectDownloadWindow", "00:00:30", "DirectDownloadWindow")]
    [InlineData("DirectDownloadWindow", "4.00:00:00", "DirectDownloadWindow")]
    [InlineData("PublicEndpoint", "s3.example.org", "PublicEndpoint")]
    [InlineData("PublicEndpoint", "ftp://s3.example.org", "PublicEndpoint")]
    [InlineData("PublicEndpoint", "https://cdn.example.org/s3", "PublicEndpoint")]
    public void Direct_download_settings_out_of_range_are_configuration_errors(string setting, string value, string named)
    {
        using var sp = Build(
            ("Panoramax:Storage:Kind", "s3"),
            ("Panoramax:Storage:S3:Endpoint", "http://minio:9000"),
            ("Panoramax:Storage:S3:Bucket", "pictures"),
            ("Panoramax:Storage:S3:DirectDownloads", "true"),
            ($"Panoramax:Storage:S3:{setting}", value));

        var error = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Direct_download_links_are_signed_for_the_public_endpoint_from_the_start_of_their_window()
    {
        using var sp = Build(
            ("Panoramax:Storage:Kind", "s3"),
            ("Panoramax:Storage:S3:Endpoint", "http://minio:9000"),
            ("Panoramax:Storage:S3:PublicEndpoint", "https://s3.example.org"),
            ("Panoramax:Storage:S3:Bucket", "pictures"),
            ("Panoramax:Storage:S3:AccessKey", "key"),
            ("Panoramax:Storage:S3:SecretKey", "secret"),
            ("Panoramax:Storage:S3:DirectDownloads", "true"),
            ("Panoramax:Storage:S3:DirectDownloadWindow", "00:15:00"));
        var links = Assert.IsAssignableFrom<IBlobDownloadLinks>(sp.GetRequiredService<IBlobStore>());

        var link = (await links.GetDownloadLinkAsync("pictures/ab/cd/x/hd.jpg", new DateTimeOffset(2026, 12, 8, 10, 29, 59, TimeSpan.Zero), default))!;

        Assert.Equal("https://s3.example.org/pictures/pictures/ab/cd/x/hd.jpg", link.Url.GetLeftPart(UriPartial.Path));
        Assert.Contains("X-Amz-Date=20261208T101500Z", link.Url.Query, StringComparison.Ordinal);
        Assert.Contains("X-Amz-Expires=1800", link.Url.Query, StringComparison.Ordinal);
        Assert.Equal(new DateTimeOffset(2026, 12, 8, 10, 30, 0, TimeSpan.Zero), link.ShareUntil);
    }

    [Fact]
    public async Task Without_direct_downloads_the_s3_store_hands_out_no_link()
    {
        using var sp = Build(
            ("Panoramax:Storage:Kind", "s3"),
            ("Panoramax:Storage:S3:Endpoint", "http://minio:9000"),
            ("Panoramax:Storage:S3:Bucket", "pictures"),
            ("Panoramax:Storage:S3:AccessKey", "key"),
            ("Panoramax:Storage:S3:SecretKey", "secret"));

        Assert.Null(await ((IBlobDownloadLinks)sp.GetRequiredService<IBlobStore>()).GetDownloadLinkAsync("pictures/a/hd.jpg", TimeProvider.System.GetUtcNow(), default));
    }
}
