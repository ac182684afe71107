using Panoramax.Persistence.Embedded;
using Panoramax.Server.Hosting;

namespace Panoramax.Server.Database;

/// <summary>
/// Decides where the database is: the configured <c>ConnectionStrings:Panoramax</c>, or else the embedded
/// cluster under var/pg, started (or reused) before the host is built and stopped when it shuts down.
/// </summary>
public static class DatabaseBootstrap
{
    public const string ConnectionStringName = "Panoramax";

    public static async Task<string> ResolveConnectionStringAsync(WebApplicationBuilder builder, ILogger logger, CancellationToken ct)
    {
        var configured = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            logger.LogInformation("Using the PostgreSQL server of ConnectionStrings:{Name}", ConnectionStringName);
            return configured;
        }

        var options = builder.Configuration.GetSection(PanoramaxOptions.Section).Get<PanoramaxOptions>() ?? new PanoramaxOptions();
        var dir = Path.IsPathRooted(options.Database.EmbeddedDirectory)
            ? options.Database.EmbeddedDirectory
            : options.DataPath(options.Database.EmbeddedDirectory);
        var cluster = await EmbeddedPostgresCluster.StartAsync(dir, logger, ct: ct);
        try
        {
            await cluster.EnsureDatabaseAsync(options.Database.EmbeddedDatabaseName, ct);
        }
        catch
        {
            await cluster.StopAsync(logger, CancellationToken.None);
            throw;
        }
        builder.Services.AddSingleton(cluster);
        // Registered before every other hosted service so that it is stopped last, after the server.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, EmbeddedClusterLifetime>());
        return cluster.ConnectionString(options.Database.EmbeddedDatabaseName);
    }

    /// <summary>Stops the embedded cluster when the host stops (Ctrl-C, SIGTERM).</summary>
    private sealed class EmbeddedClusterLifetime(EmbeddedPostgresCluster cluster, ILogger<EmbeddedPostgresCluster> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => cluster.StopAsync(logger, CancellationToken.None);
    }
}
