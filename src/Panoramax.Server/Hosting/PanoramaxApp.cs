using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Panoramax.Auth;
using Panoramax.Domain.Visibility;
using Panoramax.Federation.Signing;
using Panoramax.Server.Accounts;
using Panoramax.Persistence;
using Panoramax.Server.Blur;
using Panoramax.Server.Configuration;
using Panoramax.Server.Database;
using Panoramax.Server.Http;
using Panoramax.Server.Map;
using Panoramax.Server.Pictures;
using Panoramax.Server.Stac;
using Panoramax.Server.Reports;
using Panoramax.Server.Users;
using Panoramax.Server.Startup;
using Panoramax.Storage;

namespace Panoramax.Server.Hosting;

/// <summary>
/// The composition root, shared by Program and the tests (which start the very same host on a
/// loopback port against their own database).
/// </summary>
public static class PanoramaxApp
{
    public static async Task<WebApplication> CreateAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        // Content root = the program's folder, so appsettings.json is found whatever the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["Kestrel:Endpoints:Http:Url"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:5000");
        }

        using var bootLoggerFactory = LoggerFactory.Create(l => l.AddConsole().AddConfiguration(builder.Configuration.GetSection("Logging")));
        var bootLogger = bootLoggerFactory.CreateLogger("Panoramax.Startup");
        var connectionString = await DatabaseBootstrap.ResolveConnectionStringAsync(builder, bootLogger, ct);

        AddServices(builder, connectionString);
        var app = builder.Build();
        UsePipeline(app);
        return app;
    }

    private static void AddServices(WebApplicationBuilder builder, string connectionString)
    {
        var services = builder.Services;
        services.AddOptions<PanoramaxOptions>().BindConfiguration(PanoramaxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddScoped<LinkBuilder>();
        services.AddScoped<CurrentViewer>();
        services.AddSingleton<ConformanceRegistry>();
        services.AddSingleton(sp => new AuthFeature { Enabled = sp.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled, UserProfileUrl = "/account" });
        services.AddAntiforgery();

        services.AddPanoramaxPersistence(_ => PersistenceExtensions.BuildPanoramaxDataSource(connectionString));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<PanoramaxOptions>>().Value;
            return InstanceKeyStore.LoadOrCreate(o.DataPath("keys"));
        });
        services.AddPanoramaxStorage(builder.Configuration);
        services.AddPanoramaxBlurring(builder.Configuration);
        // Runs before the server accepts requests: migrations, self row, first admin.
        services.AddHostedService<InstanceInitializer>();
        // After the initializer: auth registers OAuth clients at start-up, once the schema exists.
        var dataOptions = builder.Configuration.GetSection(PanoramaxOptions.Section).Get<PanoramaxOptions>() ?? new PanoramaxOptions();
        services.AddPanoramaxAuth(builder.Configuration, dataOptions.DataPath("keys"));
        services.AddPanoramaxMap();

        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddCors(o => o.AddDefaultPolicy(p => p
            // The viewer may be embedded anywhere and send credentials: reflect the origin (as GeoVisio does).
            .SetIsOriginAllowed(_ => true)
            .AllowCredentials()
            .AllowAnyHeader()
            .AllowAnyMethod()
            .WithExposedHeaders("Location", "Content-Range", "Accept-Ranges", "ETag", BlurEndpoints.MetadataHeader, "Retry-After")));
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["application/geo+json", "application/schema+json", "application/vnd.mapbox-vector-tile"]);
        });
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix;
            // Deployments put the instance behind their own proxy; hrefs must follow the public host.
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
        });
        services.AddOpenApi("specs", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Panoramax API";
            doc.Info.Description = "STAC API of a Panoramax instance (GeoVisio-compatible).";
            return Task.CompletedTask;
        }));
        services.AddHealthChecks().AddDbContextCheck<PanoramaxDbContext>("database");
    }

    private static void UsePipeline(WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseApiErrors();
        app.UseResponseCompression();
        app.UseCors();
        app.UsePanoramaxAuth();
        // Routes take the caller from CurrentViewer; the auth middleware has just identified them.
        app.Use((context, next) =>
        {
            if (context.Account() is { } account)
            {
                context.RequestServices.GetRequiredService<CurrentViewer>().Viewer = Viewer.Account(account.Id, account.IsAdmin);
            }
            return next(context);
        });
        app.UseDefaultApiCaching();

        var api = app.MapGroup("/api").WithTags("Panoramax");
        api.MapLanding();
        api.MapInstanceConfiguration();
        api.MapCollections();
        api.MapItems();
        api.MapSearch();
        api.MapMe();
        api.MapUsers();
        api.MapAuth();
        app.MapPanoramaxOAuth();
        api.MapReports();
        api.MapHealth();
        api.MapVectorTiles();
        app.MapViewer();
        app.MapAccountPages();
        api.MapPictureFiles();
        // The blurring API lives at the root, as on SGBlur: callers configure a base URL and add /blur/.
        app.MapBlur();

        app.MapOpenApi("/api/docs/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "api/docs/swagger";
            o.SwaggerEndpoint("/api/docs/specs.json", "Panoramax API");
            o.DocumentTitle = "Panoramax API";
        });
    }
}
