using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Server.Hosting;
using Panoramax.Server.Manage;

namespace Panoramax.IntegrationTests.Map;

/// <summary>
/// Two API hosts on one database and storage, as behind a load balancer: tiles are kept ten minutes in each host's
/// memory, so only the hosts telling each other can make an edit made on one show on the other.
/// </summary>
public sealed class TwoApiHosts : TestInstance
{
    private WebApplication? _second;

    public HttpClient SecondHttp { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Panoramax:Map:TileMaxAge", "00:10:00")];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _second = await PanoramaxApp.CreateAsync([.. HostArguments(), "--Panoramax:Role=api"]);
        await _second.StartAsync();
        SecondHttp = new HttpClient { BaseAddress = new Uri(_second.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
    }

    public override async Task DisposeAsync()
    {
        SecondHttp?.Dispose();
        if (_second is not null)
        {
            await _second.StopAsync();
            await _second.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}

public sealed class MapCacheAcrossProcessesTests(TwoApiHosts hosts) : IClassFixture<TwoApiHosts>
{
    [Fact]
    public async Task A_picture_hidden_through_one_host_leaves_the_tiles_the_other_host_had_cached()
    {
        var owner = await MapSeed.AdminAsync(hosts);
        var walk = await MapSeed.SequenceAsync(hosts, owner, MapSeed.Line(-0.5790, 44.8370, 3, MapFixture.Day));
        await MapSeed.RefreshGridAsync(hosts);
        var hidden = walk.Pictures[0].Id.ToString();
        var (x, y) = Mvt.TileOf(-0.5790, 44.8370, 15);
        async Task<HashSet<string>> PointsOnSecondAsync() =>
            Mvt.Decode(await hosts.SecondHttp.GetByteArrayAsync($"/api/map/15/{x}/{y}.mvt")).GetValueOrDefault("pictures", [])
                .Select(f => f.Properties["id"].ToString()!).ToHashSet();
        Assert.Contains(hidden, await PointsOnSecondAsync());

        // The edit as the first host's manage routes make it: committed, then the map told.
        await using (var conn = new NpgsqlConnection(hosts.ConnectionString))
        {
            await conn.OpenAsync();
            await using var hide = new NpgsqlCommand("UPDATE pictures SET visibility = 'owner-only' WHERE id = @id", conn);
            hide.Parameters.AddWithValue("id", walk.Pictures[0].Id);
            await hide.ExecuteNonQueryAsync();
        }
        await hosts.Services.GetRequiredService<MapRefresh>().AfterEditAsync();

        await Processing.UploadWriter.WaitUntilAsync(async () => !(await PointsOnSecondAsync()).Contains(hidden), TimeSpan.FromSeconds(5),
            "the second host drops its cached tile");
    }
}
