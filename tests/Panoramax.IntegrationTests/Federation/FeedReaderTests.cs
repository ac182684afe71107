using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Feed;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Federation;

/// <summary>
/// The feed serves the sealed prefix of an origin's log, never an unsealed entry and never across a hole. The rows are
/// written straight into the log of an origin that is not this instance, so the sealer leaves them as they are.
/// </summary>
public sealed class FeedReaderTests(TestInstance instance) : IClassFixture<TestInstance>
{
    private static readonly DateTimeOffset Day = new(2024, 5, 6, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Reads_stop_at_the_first_unsealed_entry_even_when_statistics_say_nothing_is_sealed()
    {
        var origin = await OriginAsync();
        // 1..300 written unsealed and analysed as such (the statistics of a backlog before its sealing), then 1..200 sealed.
        await InsertAsync(origin, 1, 300, sealedUpTo: 0);
        await ExecAsync("ANALYZE change_log");
        await ExecAsync("UPDATE change_log SET sealed_at = @t, payload_hash = @h, prev_hash = @h, signature = @s, entry_hash = @h WHERE origin_instance_id = @o AND seq <= 200",
            ("t", Day), ("h", new byte[32]), ("s", new byte[64]), ("o", origin));
        var feed = instance.Services.GetRequiredService<FeedReader>();

        var first = await feed.ReadAsync(origin, 0, 150, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), first.Select(e => e.Seq));
        var rest = await feed.ReadAsync(origin, 150, 500, CancellationToken.None);
        Assert.Equal(Enumerable.Range(151, 50).Select(i => (long)i), rest.Select(e => e.Seq));
        Assert.Empty(await feed.ReadAsync(origin, 200, 500, CancellationToken.None));
        // Hello announces the last sealed entry, not the last entry.
        Assert.Equal(200L, await MaxSeqAsync(feed, origin));

        // Once the sealer (here: the test) reaches them, the next entries are served.
        await ExecAsync("UPDATE change_log SET sealed_at = @t, payload_hash = @h, prev_hash = @h, signature = @s, entry_hash = @h WHERE origin_instance_id = @o AND seq <= 210",
            ("t", Day), ("h", new byte[32]), ("s", new byte[64]), ("o", origin));
        Assert.Equal(Enumerable.Range(201, 10).Select(i => (long)i), (await feed.ReadAsync(origin, 200, 500, CancellationToken.None)).Select(e => e.Seq));
        Assert.Equal(210L, await MaxSeqAsync(feed, origin));
        // Everything sealed: the last entry.
        await ExecAsync("UPDATE change_log SET sealed_at = @t, payload_hash = @h, prev_hash = @h, signature = @s, entry_hash = @h WHERE origin_instance_id = @o",
            ("t", Day), ("h", new byte[32]), ("s", new byte[64]), ("o", origin));
        Assert.Equal(300L, await MaxSeqAsync(feed, origin));
    }

    [Fact]
    public async Task An_origin_with_nothing_sealed_is_not_announced()
    {
        var origin = await OriginAsync();
        await InsertAsync(origin, 1, 3, sealedUpTo: 0);
        var feed = instance.Services.GetRequiredService<FeedReader>();

        Assert.DoesNotContain((await feed.OriginsAsync(CancellationToken.None)), o => o.OriginId == origin.ToString());
    }

    private static async Task<long> MaxSeqAsync(FeedReader feed, Guid origin) =>
        (await feed.OriginsAsync(CancellationToken.None)).Single(o => o.OriginId == origin.ToString()).MaxSeq;

    [Fact]
    public async Task Reads_never_cross_a_hole_in_the_log()
    {
        var origin = await OriginAsync();
        await InsertAsync(origin, 1, 5, sealedUpTo: 5);
        await InsertAsync(origin, 7, 9, sealedUpTo: 9);
        var feed = instance.Services.GetRequiredService<FeedReader>();

        Assert.Equal([1L, 2, 3, 4, 5], (await feed.ReadAsync(origin, 0, 100, CancellationToken.None)).Select(e => e.Seq));
        Assert.Empty(await feed.ReadAsync(origin, 5, 100, CancellationToken.None));
    }

    private async Task<Guid> OriginAsync()
    {
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            // A key: Hello only announces origins whose entries a receiver can verify.
            var origin = new Instance
            {
                Id = Guid.CreateVersion7(), Name = "far-away", Trust = PeerTrust.Trusted, PublicKey = new byte[32], CreatedAt = Day, UpdatedAt = Day,
            };
            origin.BaseUrl = $"http://{origin.Id:N}.invalid";
            db.Instances.Add(origin);
            await db.SaveChangesAsync();
            return origin.Id;
        }
    }

    private Task InsertAsync(Guid origin, long from, long to, long sealedUpTo) => ExecAsync("""
        INSERT INTO change_log (origin_instance_id, seq, entity_kind, entity_id, op, entity_version, payload, payload_hash, prev_hash, signature, entry_hash, created_at, sealed_at)
        SELECT @o, s, 'picture', gen_random_uuid(), 'upsert', 1, '{}',
               CASE WHEN s <= @sealed THEN @h END, CASE WHEN s <= @sealed THEN @h END, CASE WHEN s <= @sealed THEN @sig END,
               CASE WHEN s <= @sealed THEN @h END, @d, CASE WHEN s <= @sealed THEN @d END
        FROM generate_series(@from::bigint, @to::bigint) s
        """, ("o", origin), ("sealed", sealedUpTo), ("h", new byte[32]), ("sig", new byte[64]), ("d", Day), ("from", from), ("to", to));

    private async Task ExecAsync(string sql, params (string Name, object Value)[] values)
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in values)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        await cmd.ExecuteNonQueryAsync();
    }
}
