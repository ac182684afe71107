using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Persistence;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>Checks that a route reads on the read routes' pool (<see cref="PersistenceExtensions.ReadPool"/>).</summary>
public static class ReadPoolProbe
{
    public static NpgsqlDataSource ReadPool(TestInstance instance) =>
        instance.Services.GetRequiredKeyedService<NpgsqlDataSource>(PersistenceExtensions.ReadPool);

    /// <summary>
    /// Empties the read pool, requests <paramref name="path"/> (must answer 200) and asserts that a backend of that pool
    /// then exists in pg_stat_activity: the request opened it.
    /// </summary>
    public static async Task AssertRouteUsesReadPoolAsync(TestInstance instance, string path)
    {
        var reads = ReadPool(instance);
        reads.Clear();
        Assert.True(await WaitForBackendsAsync(instance, n => n == 0), "the read pool kept a backend after Clear");

        using var response = await instance.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await WaitForBackendsAsync(instance, n => n > 0), $"{path} did not use the read pool");
    }

    /// <summary>Waits (up to 10 s) until the count of this database's read-pool backends satisfies <paramref name="done"/>.</summary>
    private static async Task<bool> WaitForBackendsAsync(TestInstance instance, Func<long, bool> done)
    {
        var applicationName = new NpgsqlConnectionStringBuilder(ReadPool(instance).ConnectionString).ApplicationName;
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name", conn);
        cmd.Parameters.AddWithValue("name", applicationName!);
        var waited = Stopwatch.StartNew();
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
