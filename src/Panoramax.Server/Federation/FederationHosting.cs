using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Panoramax.Federation;
using Panoramax.Server.Hosting;

namespace Panoramax.Server.Federation;

/// <summary>
/// Kestrel endpoints when federation is on: gRPC needs HTTP/2, which without TLS (h2c) must be a dedicated endpoint,
/// so the API addresses (<c>urls</c>) and the federation address are all declared here (Kestrel ignores <c>urls</c>
/// once any endpoint is declared in code).
/// </summary>
public static class FederationHosting
{
    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue($"{FederationOptions.Section}:Enabled", true)
        && !string.Equals(configuration["Panoramax:Role"], nameof(InstanceRole.Worker), StringComparison.OrdinalIgnoreCase);

    public static void ConfigureEndpoints(WebApplicationBuilder builder, string defaultUrls)
    {
        var endpoint = new FederationEndpoint();
        builder.Services.AddSingleton(endpoint);
        var grpc = new Uri(builder.Configuration[$"{FederationOptions.Section}:GrpcUrl"] ?? new FederationOptions().GrpcUrl);
        var configuredInKestrelSection = builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        var urls = (builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? defaultUrls)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (!configuredInKestrelSection)
            {
                foreach (var url in urls)
                {
                    Listen(k, new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal)), HttpProtocols.Http1AndHttp2, null);
                }
            }
            Listen(k, grpc, HttpProtocols.Http2, o => endpoint.Listen = o);
        });
    }

    private static void Listen(KestrelServerOptions k, Uri url, HttpProtocols protocols, Action<ListenOptions>? keep)
    {
        void Configure(ListenOptions o)
        {
            o.Protocols = protocols;
            if (url.Scheme == Uri.UriSchemeHttps)
            {
                o.UseHttps();
            }
            keep?.Invoke(o);
        }
        if (url.IsLoopback && url.Host == "localhost")
        {
            k.ListenLocalhost(url.Port, Configure);
        }
        else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip))
        {
            k.Listen(ip, url.Port, Configure);
        }
        else
        {
            // A host name: listen everywhere, as Kestrel does for such urls.
            k.ListenAnyIP(url.Port, Configure);
        }
    }
}

/// <summary>The federation listening endpoint, known once Kestrel has bound it (port 0 resolves then).</summary>
public sealed class FederationEndpoint
{
    internal ListenOptions? Listen { get; set; }

    /// <summary><c>http://ip:port</c> of the bound gRPC endpoint.</summary>
    public string? BoundUrl => Listen?.IPEndPoint is { } ep
        ? string.Create(CultureInfo.InvariantCulture, $"http://{(ep.Address.Equals(IPAddress.Any) ? "127.0.0.1" : ep.Address.ToString())}:{ep.Port}")
        : null;
}

/// <summary>Our addresses as peers must see them: configured public URLs first, else what Kestrel listens on.</summary>
internal sealed class ServerFederationHost(IServer server, FederationEndpoint endpoint, IOptions<PanoramaxOptions> panoramax, IOptions<FederationOptions> federation) : IFederationHost
{
    public string PublicBaseUrl
    {
        get
        {
            if (panoramax.Value.PublicUrl is { } configured)
            {
                return configured.ToString().TrimEnd('/');
            }
            var grpcPort = endpoint.Listen?.IPEndPoint?.Port;
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var api = addresses.Select(a => new Uri(a)).FirstOrDefault(u => u.Port != grpcPort)
                ?? throw new InvalidOperationException("The server does not listen yet; set Panoramax:PublicUrl.");
            var host = api.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : api.Host;
            return $"{api.Scheme}://{host}:{api.Port.ToString(CultureInfo.InvariantCulture)}";
        }
    }

    public string FederationUrl => federation.Value.AdvertisedUrl?.TrimEnd('/') ?? endpoint.BoundUrl ?? federation.Value.GrpcUrl;
}
