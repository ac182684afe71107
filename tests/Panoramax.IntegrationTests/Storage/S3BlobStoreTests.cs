using Microsoft.Extensions.Logging.Abstractions;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Storage;
using Panoramax.Storage.S3;

namespace Panoramax.IntegrationTests.Storage;

/// <summary>The same contract against a real S3-compatible server (s3rver, quirks handled in tests/tools).</summary>
[Collection(BlobStoreCollection.Name)]
public sealed class S3BlobStoreTests(S3rverServer s3) : BlobStoreContractTests, IClassFixture<S3rverServer>
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-spool-{Guid.NewGuid():N}");

    internal static S3StorageOptions Options(S3rverServer s3, string bucket, string? spool = null) => new()
    {
        Endpoint = s3.Endpoint,
        UseSsl = false,
        AccessKey = S3rverServer.AccessKey,
        SecretKey = S3rverServer.SecretKey,
        Bucket = bucket,
        SpoolDirectory = spool,
    };

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        Directory.CreateDirectory(_spool);
        var store = new S3BlobStore(Options(s3, "panoramax-contract", _spool), NullLogger<S3BlobStore>.Instance);
        await store.InitializeAsync(default);
        return store;
    }

    protected override void AssertNoLeftovers() => Assert.Empty(Directory.EnumerateFileSystemEntries(_spool));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    [Fact]
    public async Task The_bucket_is_created_at_start_up_only_when_allowed()
    {
        var options = Options(s3, "panoramax-not-created");
        options.CreateBucket = false;
        using (var refused = new S3BlobStore(options, NullLogger<S3BlobStore>.Instance))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => refused.InitializeAsync(default));
        }

        using var created = new S3BlobStore(Options(s3, "panoramax-created"), NullLogger<S3BlobStore>.Instance);
        await created.InitializeAsync(default);
        await created.PutAsync("a.jpg", new MemoryStream([1]), "image/jpeg", default);
        Assert.Equal(1, (await created.GetInfoAsync("a.jpg", default))!.Length);
    }

    [Theory]
    [InlineData("127.0.0.1:9000", false, "127.0.0.1", 9000, false)]
    [InlineData("s3.example.org", true, "s3.example.org", 443, true)]
    [InlineData("http://minio:9000", true, "minio", 9000, false)]
    [InlineData("https://s3.example.org", false, "s3.example.org", 443, true)]
    public void Endpoint_is_a_host_and_port_or_a_url(string endpoint, bool useSsl, string host, int port, bool ssl)
    {
        Assert.Equal((host, port, ssl), S3BlobStore.ParseEndpoint(new S3StorageOptions { Endpoint = endpoint, UseSsl = useSsl }));
    }
}
