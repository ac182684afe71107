using Panoramax.Federation;
using Panoramax.Jobs.Publication;
using Panoramax.Persistence.Queries;

namespace Panoramax.Server.Map;

public static class MapServices
{
    /// <summary>Tiles, styles, the base map, the grid refresher and the viewer page's options.</summary>
    public static IServiceCollection AddPanoramaxMap(this IServiceCollection services)
    {
        services.AddOptions<MapOptions>().BindConfiguration(MapOptions.Section)
            .Validate(o => o.GridRefreshInterval > TimeSpan.Zero && o.TileMaxAge >= TimeSpan.Zero && o.TileCacheBytes > 0, "Panoramax:Map intervals must be positive")
            .ValidateOnStart();
        services.AddOptions<ViewerOptions>().BindConfiguration(ViewerOptions.Section);
        services.AddSingleton<BaseMapTile>();
        services.AddSingleton<TileCache>();
        services.AddSingleton<MapCacheBroadcast>();
        services.AddHostedService(sp => sp.GetRequiredService<MapCacheBroadcast>());
        services.AddSingleton<PictureGridRefresher>();
        services.AddSingleton<PictureGridRefreshRequests>();
        services.AddSingleton<MapChangeListener>();
        services.AddSingleton<IPublicationListener>(sp => sp.GetRequiredService<MapChangeListener>());
        services.AddSingleton<IReplicaChangeListener>(sp => sp.GetRequiredService<MapChangeListener>());
        services.AddHostedService<PictureGridRefreshService>();
        return services;
    }
}
