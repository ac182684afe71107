using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Panoramax.Server.Map;

/// <summary>
/// Recently built public tiles, kept for <see cref="MapOptions.TileMaxAge"/> - the staleness browsers and proxies
/// already accept through Cache-Control - so a popular tile is built once per period instead of once per request.
/// Only anonymous tiles are cached (they are the same for everyone). Its own bounded cache, so tiles never evict
/// anything else. Tiles are immutable byte arrays shared between requests. Concurrent requests for a tile that is not
/// cached yet share one build (a burst on a new tile costs one query, not one per request).
/// </summary>
public sealed class TileCache(IOptions<MapOptions> options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.TileCacheBytes });
    private readonly ConcurrentDictionary<string, Lazy<Task<Entry>>> _building = new(StringComparer.Ordinal);
    // Bumped by Invalidate: a build started before an edit must not be stored after it.
    private long _generation;

    public sealed record Entry(byte[] Body, string ETag);

    public async Task<Entry> GetOrBuildAsync(string key, Func<Task<byte[]>> build)
    {
        if (options.Value.TileMaxAge <= TimeSpan.Zero)
        {
            return Make(await build());
        }
        var generation = Interlocked.Read(ref _generation);
        key = $"{generation}:{key}";
        if (_cache.TryGetValue(key, out Entry? cached) && cached is not null)
        {
            return cached;
        }
        var pending = _building.GetOrAdd(key, _ => new Lazy<Task<Entry>>(async () => Make(await build())));
        try
        {
            var entry = await pending.Value;
            if (Interlocked.Read(ref _generation) != generation)
            {
                return entry;
            }
            _cache.Set(key, entry, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = options.Value.TileMaxAge,
                Size = entry.Body.Length + 100,
            });
            return entry;
        }
        finally
        {
            _building.TryRemove(new KeyValuePair<string, Lazy<Task<Entry>>>(key, pending));
        }
    }

    /// <summary>
    /// Forgets every cached tile, after an edit that changes what tiles show (hide, delete, move, takedown), so the
    /// next request sees the change instead of a tile up to <see cref="MapOptions.TileMaxAge"/> old.
    /// </summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    public static Entry Make(byte[] body) =>
        new(body, $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body).AsSpan(0, 12))}\"");

    public void Dispose() => _cache.Dispose();
}
