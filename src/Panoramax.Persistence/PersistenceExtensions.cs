using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Panoramax.Persistence;

public static class PersistenceExtensions
{
    /// <summary>Configures Npgsql with PostGIS (NetTopologySuite) and snake_case names for an already known connection string.</summary>
    public static void UsePanoramaxNpgsql(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, o =>
            {
                o.UseNetTopologySuite();
                o.MigrationsAssembly(typeof(PanoramaxDbContext).Assembly.GetName().Name);
            })
            .UseSnakeCaseNamingConvention();

    public static NpgsqlDataSource BuildPanoramaxDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseNetTopologySuite();
        return builder.Build();
    }

    public static IServiceCollection AddPanoramaxPersistence(this IServiceCollection services, Func<IServiceProvider, NpgsqlDataSource> dataSource)
    {
        services.AddSingleton(dataSource);
        services.AddDbContext<PanoramaxDbContext>((sp, o) => o.UsePanoramaxNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        return services;
    }
}
