using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Legacy;
using Panoramax.Federation.Peers;
using Panoramax.Federation.Search;
using Panoramax.Federation.Sync;
using Quartz;

namespace Panoramax.Federation;

public static class FederationServiceCollectionExtensions
{
    /// <summary>
    /// Federation services: the sealer, the gRPC service, the sync engine (Quartz), pokes, the retention sweep, peer administration and the
    /// harvester of legacy GeoVisio instances.
    /// The host supplies <see cref="IPayloadRenderer"/>, <see cref="ILocalSearch"/> and <see cref="IFederationHost"/>, and maps the gRPC service.
    /// </summary>
    public static IServiceCollection AddPanoramaxFederation(this IServiceCollection services)
    {
        services.AddOptions<FederationOptions>().BindConfiguration(FederationOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.SearchDeadline > TimeSpan.Zero && o.SearchDeadline <= TimeSpan.FromMinutes(1),
                "Panoramax:Federation:SearchDeadline must be positive and at most one minute")
            .Validate(o => o.ReconcileInterval >= TimeSpan.FromMinutes(1), "Panoramax:Federation:ReconcileInterval must be at least one minute")
            .Validate(o => o.Retention >= TimeSpan.Zero && o.RetentionSweepInterval > TimeSpan.Zero,
                "Panoramax:Federation:Retention must not be negative and RetentionSweepInterval must be positive")
            .ValidateOnStart();
        // No catch-all "unimplemented service" routes: they would turn the API's 405 answers into 404s.
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = 4 * 1024 * 1024;
            o.IgnoreUnknownServices = true;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FeedSignal>();
        services.AddSingleton<FeedReader>();
        services.AddSingleton<PeerClients>();
        services.AddSingleton<ChangeApplier>();
        services.AddSingleton<PeerSynchronizer>();
        services.AddSingleton<SnapshotAudit>();
        services.AddSingleton<Reconcile.Reconciler>();
        services.AddSingleton<Reconcile.ReconcileReportStore>();
        services.AddSingleton<FederatedSearch>();
        services.AddScoped<PeerDirectory>();
        services.AddScoped<PeerAdmin>();
        services.AddQuartz();
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddSingleton<PeerSyncScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<PeerSyncScheduler>());
        services.AddSingleton<ChangeSealer>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeSealer>());
        services.AddHostedService<PeerPoker>();
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService<RetentionSweepScheduler>();
        // Legacy GeoVisio instances harvested over HTTP (Panoramax:Aggregator:Sources), applied through the same applier.
        services.AddOptions<AggregatorOptions>().BindConfiguration(AggregatorOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Sources.TrueForAll(s => LegacySourceOptions.IsValidUrl(s.Url) && s.Interval > TimeSpan.Zero),
                "Panoramax:Aggregator:Sources: every source needs an absolute http(s) Url and a positive Interval")
            .Validate(o => o.RequestTimeout > TimeSpan.Zero && o.RetryDelay >= TimeSpan.Zero, "Panoramax:Aggregator: RequestTimeout must be positive")
            .ValidateOnStart();
        services.AddSingleton<LegacySourceClient>();
        services.AddSingleton<LegacyHarvester>();
        services.AddSingleton<LegacyHarvestScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<LegacyHarvestScheduler>());
        return services;
    }
}
