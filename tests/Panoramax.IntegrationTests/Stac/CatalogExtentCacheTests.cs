using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Queries;

namespace Panoramax.IntegrationTests.Stac;

/// <summary>The landing page's extent is cached (it aggregates every published sequence) yet stays correct.</summary>
public class CatalogExtentCacheTests(TestInstance f) : IClassFixture<TestInstance>
{
    private static readonly DateTimeOffset Day = new(2024, 3, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A clock the test moves by hand (the BCL's abstraction, not one of our components).</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private async Task<double[]> LandingBboxAsync()
    {
        var landing = await f.GetJsonAsync("/api");
        return landing.GetProperty("extent").GetProperty("spatial").GetProperty("bbox")[0].EnumerateArray().Select(x => x.GetDouble()).ToArray();
    }

    private static bool Covers(double[] bbox, double lon, double lat) => bbox[0] <= lon && lon <= bbox[2] && bbox[1] <= lat && lat <= bbox[3];

    private async Task<Guid> AccountAsync() => await TestData.AccountAsync(f, $"u{Guid.NewGuid():N}"[..12]);

    [Fact]
    public async Task Landing_extent_stays_cached_until_publication_invalidates_it()
    {
        var owner = await AccountAsync();
        await TestData.SequenceAsync(f, owner, TestData.Walk(11.88, 43.467, Day, 3));
        f.Services.GetRequiredService<CatalogExtentCache>().Invalidate();
        var before = await LandingBboxAsync();
        Assert.True(Covers(before, 11.88, 43.467));

        // Published behind the cache's back (as the ingest pipeline does in its own transaction).
        await TestData.SequenceAsync(f, owner, TestData.Walk(10.75, 59.91, Day, 3));
        Assert.Equal(before, await LandingBboxAsync());

        f.Services.GetRequiredService<CatalogExtentCache>().Invalidate();
        var after = await LandingBboxAsync();
        Assert.True(Covers(after, 10.75, 59.91), $"extent {string.Join(',', after)} must cover the new sequence");
        Assert.True(Covers(after, 11.88, 43.467));
    }

    [Fact]
    public async Task Cached_extent_is_read_again_once_its_ttl_has_passed()
    {
        var owner = await AccountAsync();
        await TestData.SequenceAsync(f, owner, TestData.Walk(11.881, 43.468, Day, 2));
        var clock = new ManualClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var cache = new CatalogExtentCache(f.Services.GetRequiredService<NpgsqlDataSource>(), clock);
        var first = await cache.GetAsync(CancellationToken.None);
        Assert.NotNull(first);

        await TestData.SequenceAsync(f, owner, TestData.Walk(18.42, -33.92, Day.AddDays(400), 2));
        clock.Now += CatalogExtentCache.Ttl - TimeSpan.FromSeconds(1);
        Assert.Equal(first, await cache.GetAsync(CancellationToken.None));

        clock.Now += TimeSpan.FromSeconds(2);
        var second = await cache.GetAsync(CancellationToken.None);
        Assert.NotNull(second);
        Assert.True(second.MinY <= -33.92, $"extent {second} must reach the new sequence");
        Assert.True(second.End >= Day.AddDays(400));
    }

    [Fact]
    public async Task Hidden_sequence_leaves_the_extent_after_invalidation()
    {
        var owner = await AccountAsync();
        var far = await TestData.SequenceAsync(f, owner, TestData.Walk(-70.65, -33.45, Day, 2));
        f.Services.GetRequiredService<CatalogExtentCache>().Invalidate();
        Assert.True(Covers(await LandingBboxAsync(), -70.65, -33.45));

        await using (var conn = new NpgsqlConnection(f.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("UPDATE sequences SET visibility = 'owner-only' WHERE id = @id", conn);
            cmd.Parameters.AddWithValue("id", far.Id);
            await cmd.ExecuteNonQueryAsync();
        }
        f.Services.GetRequiredService<CatalogExtentCache>().Invalidate();

        var landing = await f.GetJsonAsync("/api");
        var bbox = landing.TryGetProperty("extent", out var e) && e.ValueKind == JsonValueKind.Object
            ? e.GetProperty("spatial").GetProperty("bbox")[0].EnumerateArray().Select(x => x.GetDouble()).ToArray()
            : null;
        Assert.True(bbox is null || !Covers(bbox, -70.65, -33.45));
    }
}
