using Panoramax.Domain.Abstractions;
using Panoramax.Storage.FileSystem;

namespace Panoramax.IntegrationTests.Storage;

[Collection(BlobStoreCollection.Name)]
public sealed class FileSystemBlobStoreTests : BlobStoreContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-fs-{Guid.NewGuid():N}");

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var store = new FileSystemBlobStore(_root);
        await store.InitializeAsync(default);
        return store;
    }

    protected override void AssertNoLeftovers() =>
        Assert.DoesNotContain(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories), f => f.Contains('~', StringComparison.Ordinal));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Keys_map_to_files_under_the_root_and_deletions_prune_empty_folders()
    {
        var id = Guid.Parse("0190a3f2-1111-7222-8333-444455556666");
        await Store.PutAsync(StorageKeys.Hd(id), new MemoryStream([1, 2, 3]), "image/jpeg", default);

        Assert.True(File.Exists(Path.Combine(_root, "pictures", "01", "90", id.ToString(), "hd.jpg")));

        await Store.DeletePrefixAsync(StorageKeys.PictureFolder(id), default);
        Assert.False(Directory.Exists(Path.Combine(_root, "pictures")));
        Assert.True(Directory.Exists(_root));
    }
}
