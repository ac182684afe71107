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

    /// <summary>
    /// Key of the data source the public read routes take (<c>[ReadPool]</c> on a handler parameter): a pool only requests use.
    /// Npgsql hands out the longest idle connection first, so on a pool that jobs, the sealer and the sync also borrow from,
    /// a request mostly got a connection (and a PostgreSQL backend) gone cold since its last use, and its item statements
    /// prepared on fewer of them; that cost a search ~0.3 ms. A pool of its own also keeps a long sync or a busy worker
    /// from taking the connections readers need.
    /// </summary>
    public const string ReadPool = "reads";

    /// <summary>The read routes' data source: same database, its own pool of at most <paramref name="maxPoolSize"/>.</summary>
    public static NpgsqlDataSource BuildReadDataSource(string connectionString, int maxPoolSize)
    {
        var cs = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize };
        cs.ApplicationName = string.IsNullOrEmpty(cs.ApplicationName) ? "panoramax reads" : cs.ApplicationName + " (reads)";
        return BuildPanoramaxDataSource(cs.ConnectionString);
    }

    public static IServiceCollection AddPanoramaxPersistence(this IServiceCollection services, Func<IServiceProvider, NpgsqlDataSource> dataSource)
    {
        services.AddSingleton(dataSource);
        services.AddDbContext<PanoramaxDbContext>((sp, o) => o.UsePanoramaxNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        return services;
    }
}
