using Panoramax.Federation;
using Panoramax.Federation.Service;

namespace Panoramax.Server.Federation;

public static class FederationServices
{
    /// <summary>Federation (unless disabled or in the worker role): the host's renderer and addresses plus the federation project.</summary>
    public static void AddPanoramaxFederation(this WebApplicationBuilder builder, string defaultUrls)
    {
        if (!FederationHosting.IsEnabled(builder.Configuration))
        {
            return;
        }
        FederationHosting.ConfigureEndpoints(builder, defaultUrls);
        builder.Services.AddSingleton<IPayloadRenderer, StacPayloadRenderer>();
        builder.Services.AddSingleton<ILocalSearch, LocalLiveSearch>();
        builder.Services.AddSingleton<IFederationHost, ServerFederationHost>();
        builder.Services.AddPanoramaxFederation();
    }

    public static void MapPanoramaxFederation(this WebApplication app, RouteGroupBuilder api)
    {
        if (!FederationHosting.IsEnabled(app.Configuration))
        {
            return;
        }
        app.MapGrpcService<FederationGrpcService>();
        api.MapPeerAdmin();
        api.MapSourceAdmin();
    }
}
