using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Federation.Peers;
using Panoramax.Server.Federation;
using Panoramax.Server.Hosting;

namespace Panoramax.Bench;

/// <summary>Real Panoramax hosts for the multi-instance benchmarks: loopback HTTP and gRPC ports, own database, no blurring.</summary>
internal static class BenchHosts
{
    public static async Task<WebApplication> StartAsync(string name, string connectionString, string dataDir, params string[] extra)
    {
        var app = await PanoramaxApp.CreateAsync([
            "--urls=http://127.0.0.1:0",
            "--Panoramax:Federation:GrpcUrl=http://127.0.0.1:0",
            "--Panoramax:Federation:SealInterval=00:00:01",
            $"--ConnectionStrings:Panoramax={connectionString}",
            $"--Panoramax:DataDirectory={dataDir}",
            $"--Panoramax:Instance:Name={name}",
            "--Panoramax:Blurring:Enabled=false",
            "--Panoramax:Admin:InitialPassword=bench-admin-password",
            "--Logging:LogLevel:Default=Warning",
            .. extra,
        ]);
        await app.StartAsync();
        return app;
    }

    /// <summary>The host's HTTP base URL (its port is chosen by the system).</summary>
    public static Uri HttpUrl(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>As an admin of each would: <paramref name="a"/> adds <paramref name="b"/> by URL, both confirm.</summary>
    public static async Task ConnectAsync(WebApplication a, WebApplication b)
    {
        var bUrl = b.Services.GetRequiredService<FederationEndpoint>().BoundUrl!;
        PeerStatus added;
        await using (var scope = a.Services.CreateAsyncScope())
        {
            added = await scope.ServiceProvider.GetRequiredService<PeerAdmin>().AddAsync(bUrl, CancellationToken.None);
        }
        await using (var scope = b.Services.CreateAsyncScope())
        {
            var admin = scope.ServiceProvider.GetRequiredService<PeerAdmin>();
            foreach (var pending in (await admin.ListAsync(CancellationToken.None)).Where(p => p.Trust == "pending"))
            {
                await admin.ConfirmAsync(pending.Id, CancellationToken.None);
            }
        }
        await using (var scope = a.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PeerAdmin>().ConfirmAsync(added.Id, CancellationToken.None);
        }
    }
}
