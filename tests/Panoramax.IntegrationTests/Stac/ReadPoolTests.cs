using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Persistence;
using Panoramax.Server.Hosting;

namespace Panoramax.IntegrationTests.Stac;

/// <summary>The public read routes run on a pool of their own, apart from the one jobs, the sealer and the sync share.</summary>
public class ReadPoolTests(StacFixture f) : IClassFixture<StacFixture>
{
    private NpgsqlDataSource Reads => f.Services.GetRequiredKeyedService<NpgsqlDataSource>(PersistenceExtensions.ReadPool);

    [Fact]
    public void Read_pool_is_sized_by_configuration_and_named_in_postgres()
    {
        var cs = new NpgsqlConnectionStringBuilder(Reads.ConnectionString);
        Assert.Equal(f.Services.GetRequiredService<IOptions<PanoramaxOptions>>().Value.Database.ReadPoolSize, cs.MaxPoolSize);
        Assert.Contains("reads", cs.ApplicationName, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/search?bbox=11.87,43.46,11.89,43.47&limit=10")]
    [InlineData("/api/collections")]
    [InlineData("/api/collections/{flat1}")]
    [InlineData("/api/collections/{flat1}/items")]
    [InlineData("/api/collections/{flat1}/items/{picture}")]
    [InlineData("/api/map/14/8732/5991.mvt")]
    [InlineData("/api/pictures/{picture}")]
    [InlineData("/api/users")]
    [InlineData("/api/users/{alice}")]
    [InlineData("/api/users/{alice}/collection")]
    public async Task Read_route_queries_on_the_read_pool(string route)
    {
        var path = route.Replace("{flat1}", f.Flat1.Id.ToString(), StringComparison.Ordinal)
            .Replace("{picture}", f.Flat1.PictureIds[0].ToString(), StringComparison.Ordinal)
            .Replace("{alice}", f.Alice.ToString(), StringComparison.Ordinal);
        // No backend of the read pool left, so one seen after the request was opened by it.
        Reads.Clear();
        Assert.True(await WaitForReadBackendsAsync(n => n == 0), "the read pool kept a backend after Clear");

        using var response = await f.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await WaitForReadBackendsAsync(n => n > 0), $"{path} did not use the read pool");
    }

    /// <summary>Waits (up to 10 s) until the count of this database's read-pool backends satisfies <paramref name="done"/>.</summary>
    private async Task<bool> WaitForReadBackendsAsync(Func<long, bool> done)
    {
        var applicationName = new NpgsqlConnectionStringBuilder(Reads.ConnectionString).ApplicationName;
        await using var conn = new NpgsqlConnection(f.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name", conn);
        cmd.Parameters.AddWithValue("name", applicationName!);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (done((long)(await cmd.ExecuteScalarAsync())!))
            {
                return true;
            }
            if (waited.Elapsed > TimeSpan.FromSeconds(10))
            {
                return false;
            }
            await Task.Delay(50);
        }
    }
}
