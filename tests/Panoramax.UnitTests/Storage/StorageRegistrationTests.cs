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
    }
}
