using System.Security.Cryptography;
using System.Text;
using Panoramax.Domain.Abstractions;

namespace Panoramax.IntegrationTests.Storage;

/// <summary>Blob-store tests measure memory: they run alone, after the parallel classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlobStoreCollection
{
    public const string Name = "Blob stores";
}

/// <summary>
/// The contract every <see cref="IBlobStore"/> keeps, run identically against each implementation.
/// Each test works under its own key prefix.
/// </summary>
public abstract class BlobStoreContractTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private IBlobStore? _store;

    protected IBlobStore Store => _store ?? throw new InvalidOperationException("Not initialised");
    protected string Prefix { get; } = $"t{Guid.NewGuid():N}/";

    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>Asserts that a failed write left no temp or spool file behind.</summary>
    protected abstract void AssertNoLeftovers();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual Task DisposeAsync()
    {
        (_store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }

    private string K(string relative) => Prefix + relative;

    [Fact]
    public async Task Put_then_get_returns_the_same_bytes_and_describes_them()
    {
        var bytes = RandomNumberGenerator.GetBytes(200_000);
        await Store.PutAsync(K("a/hd.jpg"), new MemoryStream(bytes), "image/jpeg", default);

        Assert.Equal(bytes, await ReadAllAsync(K("a/hd.jpg")));
        var info = await Store.GetInfoAsync(K("a/hd.jpg"), default);
        Assert.NotNull(info);
        Assert.Equal(K("a/hd.jpg"), info.Key);
        Assert.Equal(bytes.Length, info.Length);
        Assert.Equal("image/jpeg", info.ContentType);
        Assert.Matches("^\"[^\"]+\"$", info.ETag);
        Assert.InRange(info.LastModified, DateTimeOffset.UnixEpoch.AddYears(50), DateTimeOffset.MaxValue);
    }

    [Fact]
    public async Task Empty_objects_are_stored()
    {
        await Store.PutAsync(K("empty.txt"), new MemoryStream(), "text/plain", default);

        Assert.Equal(0, (await Store.GetInfoAsync(K("empty.txt"), default))!.Length);
        Assert.Empty(await ReadAllAsync(K("empty.txt")));
    }

    [Fact]
    public async Task Overwrite_replaces_the_content_and_changes_the_etag()
    {
        await Store.PutAsync(K("x.jpg"), new MemoryStream(Encoding.UTF8.GetBytes("first version")), "image/jpeg", default);
        var before = await Store.GetInfoAsync(K("x.jpg"), default);

        await Store.PutAsync(K("x.jpg"), new MemoryStream(Encoding.UTF8.GetBytes("second version!")), "image/jpeg", default);
        var after = await Store.GetInfoAsync(K("x.jpg"), default);

        Assert.Equal("second version!", Encoding.UTF8.GetString(await ReadAllAsync(K("x.jpg"))));
        Assert.Equal(15, after!.Length);
        Assert.NotEqual(before!.ETag, after.ETag);
        Assert.Equal([K("x.jpg")], await ListAsync(Prefix));
    }

    [Fact]
    public async Task Overwrite_with_the_same_length_still_changes_the_etag()
    {
        await Store.PutAsync(K("same.jpg"), new MemoryStream(Encoding.UTF8.GetBytes("aaaa")), "image/jpeg", default);
        var before = await Store.GetInfoAsync(K("same.jpg"), default);
        await Store.PutAsync(K("same.jpg"), new MemoryStream(Encoding.UTF8.GetBytes("bbbb")), "image/jpeg", default);

        Assert.NotEqual(before!.ETag, (await Store.GetInfoAsync(K("same.jpg"), default))!.ETag);
    }

    [Fact]
    public async Task Failed_put_keeps_the_previous_object_and_leaves_nothing_behind()
    {
        var original = RandomNumberGenerator.GetBytes(300_000);
        await Store.PutAsync(K("p/hd.jpg"), new MemoryStream(original), "image/jpeg", default);
        var info = await Store.GetInfoAsync(K("p/hd.jpg"), default);

        using var broken = new GeneratedStream(3 * MiB, failAfter: MiB);
        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync(K("p/hd.jpg"), broken, "image/jpeg", default));

        Assert.Equal(original, await ReadAllAsync(K("p/hd.jpg")));
        Assert.Equal(info!.ETag, (await Store.GetInfoAsync(K("p/hd.jpg"), default))!.ETag);
        Assert.Equal([K("p/hd.jpg")], await ListAsync(Prefix));
        AssertNoLeftovers();
    }

    [Fact]
    public async Task Failed_first_put_creates_nothing()
    {
        using var broken = new GeneratedStream(3 * MiB, failAfter: 100_000);
        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync(K("new/hd.jpg"), broken, "image/jpeg", default));

        Assert.Null(await Store.GetInfoAsync(K("new/hd.jpg"), default));
        Assert.Empty(await ListAsync(Prefix));
        AssertNoLeftovers();
    }

    [Fact]
    public async Task A_reader_opened_before_an_overwrite_reads_one_whole_version()
    {
        var v1 = new byte[4 * MiB];
        Array.Fill(v1, (byte)1);
        var v2 = new byte[3 * MiB];
        Array.Fill(v2, (byte)2);
        await Store.PutAsync(K("r.jpg"), new MemoryStream(v1), "image/jpeg", default);

        await using var reader = (await Store.OpenReadAsync(K("r.jpg"), 0, null, default))!;
        var head = new byte[64 * 1024];
        await reader.ReadExactlyAsync(head);
        await Store.PutAsync(K("r.jpg"), new MemoryStream(v2), "image/jpeg", default);
        using var rest = new MemoryStream();
        await reader.CopyToAsync(rest);
        var seen = head.Concat(rest.ToArray()).ToArray();

        Assert.True(seen.SequenceEqual(v1) || seen.SequenceEqual(v2), $"read {seen.Length} bytes mixing versions");
        Assert.Equal(v2, await ReadAllAsync(K("r.jpg")));
    }

    [Theory]
    [InlineData(0, 1L)]
    [InlineData(0, 10L)]
    [InlineData(5, 10L)]
    [InlineData(999, 1L)]
    [InlineData(990, null)]
    [InlineData(0, null)]
    [InlineData(500, 0L)]
    [InlineData(1000, 10L)]
    [InlineData(2000, null)]
    public async Task Ranged_reads_return_exactly_the_requested_bytes(long offset, long? length)
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        await Store.PutAsync(K("range.jpg"), new MemoryStream(bytes), "image/jpeg", default);

        var read = await ReadAllAsync(K("range.jpg"), offset, length);

        Assert.Equal(bytes.Skip((int)offset).Take((int)(length ?? bytes.Length)).ToArray(), read);
    }

    [Fact]
    public async Task A_range_running_past_the_end_stops_at_the_end()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        await Store.PutAsync(K("range.jpg"), new MemoryStream(bytes), "image/jpeg", default);

        Assert.Equal(bytes[900..], await ReadAllAsync(K("range.jpg"), 900, 500));
    }

    [Fact]
    public async Task Missing_objects_are_reported_as_absent()
    {
        Assert.Null(await Store.GetInfoAsync(K("none.jpg"), default));
        Assert.Null(await Store.OpenReadAsync(K("none.jpg"), 0, null, default));
        Assert.Null(await Store.OpenReadAsync(K("none.jpg"), 10, 5, default));
        Assert.False(await Store.DeleteAsync(K("none.jpg"), default));
        Assert.Equal(0, await Store.DeletePrefixAsync(K("none/"), default));
        Assert.Empty(await ListAsync(K("none/")));
    }

    [Fact]
    public async Task Delete_removes_the_object()
    {
        await Store.PutAsync(K("d/sd.jpg"), new MemoryStream([1, 2, 3]), "image/jpeg", default);

        Assert.True(await Store.DeleteAsync(K("d/sd.jpg"), default));

        Assert.Null(await Store.GetInfoAsync(K("d/sd.jpg"), default));
        Assert.Null(await Store.OpenReadAsync(K("d/sd.jpg"), 0, null, default));
        Assert.False(await Store.DeleteAsync(K("d/sd.jpg"), default));
        Assert.Empty(await ListAsync(Prefix));
    }

    [Fact]
    public async Task Delete_by_prefix_removes_only_keys_under_the_prefix()
    {
        string[] inside = [K("pic/1/hd.jpg"), K("pic/1/sd.jpg"), K("pic/1/tiles/0_0.jpg"), K("pic/1/tiles/1_0.jpg")];
        string[] outside = [K("pic/10/hd.jpg"), K("pic/2/hd.jpg"), K("other.jpg")];
        foreach (var key in inside.Concat(outside))
        {
            await Store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(key)), "image/jpeg", default);
        }

        Assert.Equal(2, await Store.DeletePrefixAsync(K("pic/1/tiles/"), default));
        Assert.Equal(2, await Store.DeletePrefixAsync(K("pic/1/"), default));

        Assert.Equal(outside.Order(StringComparer.Ordinal), await ListAsync(Prefix));
        Assert.Equal(Encoding.UTF8.GetBytes(K("pic/10/hd.jpg")), await ReadAllAsync(K("pic/10/hd.jpg")));
    }

    [Fact]
    public async Task List_returns_every_key_under_a_prefix_at_any_depth()
    {
        string[] keys = [K("l/a.jpg"), K("l/b/c.jpg"), K("l/b/d/e.jpg"), K("lx/f.jpg")];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, new MemoryStream([0]), "image/jpeg", default);
        }

        Assert.Equal([K("l/a.jpg"), K("l/b/c.jpg"), K("l/b/d/e.jpg")], await ListAsync(K("l/")));
        Assert.Equal(keys, await ListAsync(K("l")));
        Assert.Equal([K("l/b/c.jpg"), K("l/b/d/e.jpg")], await ListAsync(K("l/b")));
    }

    [Fact]
    public async Task Content_type_follows_the_extension_when_none_is_given()
    {
        await Store.PutAsync(K("t/0_0.jpg"), new MemoryStream([0xFF, 0xD8]), "", default);

        Assert.Equal("image/jpeg", (await Store.GetInfoAsync(K("t/0_0.jpg"), default))!.ContentType);
    }

    [Theory]
    [InlineData("../outside.jpg")]
    [InlineData("a/../../outside.jpg")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b.jpg")]
    [InlineData("a/./b.jpg")]
    [InlineData("a\\..\\b.jpg")]
    [InlineData("a/b c.jpg")]
    [InlineData("a/b.jpg/")]
    [InlineData("%2e%2e/x.jpg")]
    [InlineData("a/\u00e9.jpg")]
    [InlineData("a/b\0.jpg")]
    [InlineData("")]
    public async Task Hostile_keys_are_rejected_before_touching_storage(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), "image/jpeg", default));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetInfoAsync(key, default));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(key, 0, null, default));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(key, default));
        if (!key.EndsWith('/'))
        {
            await Assert.ThrowsAsync<ArgumentException>(() => Store.DeletePrefixAsync(key, default));
        }
    }

    [Theory]
    [InlineData("../")]
    [InlineData("/")]
    [InlineData("a/../")]
    [InlineData("a//")]
    public async Task Hostile_prefixes_are_rejected(string prefix)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeletePrefixAsync(prefix, default));
        await Assert.ThrowsAsync<ArgumentException>(async () => await ListAsync(prefix));
    }

    [Fact]
    public async Task A_50_mb_object_is_written_and_read_as_a_stream_with_bounded_memory()
    {
        const long size = 50L * MiB;
        byte[] written;
        long putPeak;
        using (var source = new GeneratedStream(size, seed: 7))
        using (var sampler = new LiveHeapSampler())
        {
            await Store.PutAsync(K("big/hd.jpg"), source, "image/jpeg", default);
            written = source.Sha256();
            putPeak = sampler.PeakAboveBaseline;
        }
        Assert.Equal(size, (await Store.GetInfoAsync(K("big/hd.jpg"), default))!.Length);

        long getPeak, allocated;
        byte[] read;
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[81_920];
            var before = GC.GetTotalAllocatedBytes(precise: true);
            using (var sampler = new LiveHeapSampler())
            {
                await using var stream = (await Store.OpenReadAsync(K("big/hd.jpg"), 0, null, default))!;
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                }
                getPeak = sampler.PeakAboveBaseline;
            }
            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            read = hash.GetCurrentHash();
        }

        Assert.Equal(written, read);
        // Whole-file (or whole-part) buffering would hold 16-50 MiB; streaming holds a few copy buffers.
        Assert.True(putPeak < 8 * MiB, $"writing kept {putPeak / MiB} MiB alive");
        Assert.True(getPeak < 8 * MiB, $"reading kept {getPeak / MiB} MiB alive");
        Assert.True(allocated < 8 * MiB, $"reading 50 MiB allocated {allocated / MiB} MiB");
    }

    private async Task<byte[]> ReadAllAsync(string key, long offset = 0, long? length = null)
    {
        await using var stream = await Store.OpenReadAsync(key, offset, length, default);
        Assert.NotNull(stream);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var key in Store.ListAsync(prefix, default))
        {
            keys.Add(key);
        }
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
