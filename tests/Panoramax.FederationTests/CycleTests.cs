using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>A—B—C—A: every origin reaches every instance by two paths.</summary>
public sealed class CycleNetwork : IAsyncLifetime
{
    public FederatedInstance A { get; } = new("alpha");
    public FederatedInstance B { get; } = new("bravo");
    public FederatedInstance C { get; } = new("charlie");

    public async Task InitializeAsync()
    {
        await Task.WhenAll(A.InitializeAsync(), B.InitializeAsync(), C.InitializeAsync());
        await Network.ConnectAsync(A, B);
        await Network.ConnectAsync(B, C);
        await Network.ConnectAsync(C, A);
    }

    public async Task DisposeAsync() => await Task.WhenAll(A.DisposeAsync(), B.DisposeAsync(), C.DisposeAsync());
}

public sealed class CycleTests(CycleNetwork net) : IClassFixture<CycleNetwork>
{
    [Fact]
    public async Task Cycle_delivers_each_entry_once_and_nothing_loops_back()
    {
        var day = new DateTimeOffset(2024, 8, 1, 8, 0, 0, TimeSpan.Zero);
        var fromA = await net.A.PublishAsync(TestData.Walk(7.0, 47.0, day, 3));
        var fromC = await net.C.PublishAsync(TestData.Walk(7.1, 47.1, day, 2));
        var all = fromA.PictureIds.Concat(fromC.PictureIds).ToList();
        foreach (var i in new[] { net.A, net.B, net.C })
        {
            await Network.WaitUntilAsync(async () => (await i.SearchIdsAsync(all)).Count == 5, $"{i.Name} has every picture");
        }
        // Let further pokes and scheduled pulls run around the cycle.
        await Task.WhenAll(net.B.SyncWithAsync(net.A), net.B.SyncWithAsync(net.C), net.A.SyncWithAsync(net.C), net.C.SyncWithAsync(net.A));
        foreach (var i in new[] { net.A, net.B, net.C })
        {
            Assert.Equal(5L, await i.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE id = ANY(@ids)", ("ids", all.ToArray())));
            foreach (var origin in new[] { net.A, net.C })
            {
                // One entry per (origin, seq), and as many as the origin wrote.
                var originCount = await origin.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", origin.Id));
                Assert.Equal(originCount, await i.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", origin.Id)));
            }
        }
        // An origin never copies its own records back.
        Assert.Equal(0L, await net.A.ScalarAsync<long>("SELECT count(*) FROM change_log c JOIN instances i ON i.id = c.origin_instance_id WHERE i.is_self AND c.sealed_at IS NULL"));
    }
}
