using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Server.Hosting;

namespace Panoramax.IntegrationTests.Stac;

/// <summary>The public read routes run on a pool of their own, apart from the one jobs, the sealer and the sync share
/// (the picture file routes: <c>PictureFileTests</c>).</summary>
public class ReadPoolTests(StacFixture f) : IClassFixture<StacFixture>
{
    [Fact]
    public void Read_pool_is_sized_by_configuration_and_named_in_postgres()
    {
        var cs = new NpgsqlConnectionStringBuilder(ReadPoolProbe.ReadPool(f).ConnectionString);
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
    [InlineData("/api/users/{alice}/catalog/")]
    [InlineData("/api/users/{alice}/map/14/8732/5991.mvt")]
    public Task Read_route_queries_on_the_read_pool(string route) =>
        ReadPoolProbe.AssertRouteUsesReadPoolAsync(f, route.Replace("{flat1}", f.Flat1.Id.ToString(), StringComparison.Ordinal)
            .Replace("{picture}", f.Flat1.PictureIds[0].ToString(), StringComparison.Ordinal)
            .Replace("{alice}", f.Alice.ToString(), StringComparison.Ordinal));
}
