using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Panoramax.Auth;
using Panoramax.Domain.Visibility;
using Panoramax.Federation.Signing;
using Panoramax.Server.Accounts;
using Panoramax.Jobs;
using Panoramax.Persistence;
using Panoramax.Server.Blur;
using Panoramax.Server.Configuration;
using Panoramax.Server.Database;
using Panoramax.Server.Exports;
using Panoramax.Server.Federation;
using Panoramax.Server.Http;
using Panoramax.Server.Manage;
using Panoramax.Server.Map;
using Panoramax.Server.Pages;
using Panoramax.Server.Pictures;
using Panoramax.Server.Stac;
using Panoramax.Server.Reports;
using Panoramax.Server.Users;
using Panoramax.Server.Startup;
using Panoramax.Server.Uploads;
using Panoramax.Storage;

namespace Panoramax.Server.Hosting;

/// <summary>
/// The composition root, shared by Program and the tests (which start the very same host on a
/// loopback port against their own database).
/// </summary>
public static class PanoramaxApp
{
    private const string DefaultUrls = "http://127.0.0.1:5000";

    public static async Task<WebApplication> CreateAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        // Content root = the program's folder, so appsettings.json is found whatever the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // A search page (~175 kB for 50 pictures) is handed to Kestrel in one write; with the default 64 kB the
            // handler then waits for the socket to drain before it can finish.
            k.Limits.MaxResponseBufferSize = 512 * 1024;
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["Kestrel:Endpoints:Http:Url"]))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }

        using var bootLoggerFactory = LoggerFactory.Create(l => l.AddConsole().AddConfiguration(builder.Configuration.GetSection("Logging")));
        var bootLogger = bootLoggerFactory.CreateLogger("Panoramax.Startup");
        var connectionString = await DatabaseBootstrap.ResolveConnectionStringAsync(builder, bootLogger, ct);

        AddServices(builder, connectionString);
        builder.AddPanoramaxFederation(DefaultUrls);
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
        services.AddKeyedSingleton(PersistenceExtensions.ReadPool, (sp, _) => PersistenceExtensions.BuildReadDataSource(connectionString,
            sp.GetRequiredService<IOptions<PanoramaxOptions>>().Value.Database.ReadPoolSize));
        services.AddSingleton<Panoramax.Persistence.Queries.CatalogExtentCache>();
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
        // Processing, dispatch, publication; the worker itself runs unless the role is api or aggregator.
        services.AddPanoramaxJobs(builder.Configuration);
        services.AddScoped<Panoramax.Jobs.Export.IExportItemWriter, StacExportItemWriter>();
        services.AddPanoramaxUploads();
        services.AddSingleton<MapRefresh>();
        services.AddKeyedSingleton(ClientThrottle.LiveSearch, (sp, _) =>
        {
            var o = sp.GetRequiredService<IOptions<Panoramax.Federation.FederationOptions>>().Value;
            return new ClientThrottle(o.LiveSearchesPerClientPerMinute, TimeSpan.FromMinutes(1), o.LiveSearchesPerMinute);
        });
        services.AddKeyedSingleton(ClientThrottle.Registration, (sp, _) =>
            new ClientThrottle(sp.GetRequiredService<IOptions<AuthOptions>>().Value.RegistrationsPerClientPerHour, TimeSpan.FromHours(1)));
        services.AddKeyedSingleton(ClientThrottle.Login, (sp, _) =>
            new ClientThrottle(sp.GetRequiredService<IOptions<AuthOptions>>().Value.LoginsPerClientPerMinute, TimeSpan.FromMinutes(1)));
        services.AddKeyedSingleton(ClientThrottle.Report, (sp, _) =>
            new ClientThrottle(sp.GetRequiredService<IOptions<PanoramaxOptions>>().Value.ReportsPerClientPerHour, TimeSpan.FromHours(1)));
        services.AddKeyedSingleton(ClientThrottle.TokenRequest, (sp, _) =>
            new ClientThrottle(sp.GetRequiredService<IOptions<AuthOptions>>().Value.TokenRequestsPerClientPerMinute, TimeSpan.FromMinutes(1)));

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
            // Brotli first (browsers offer it): at its fastest level it is both quicker and smaller than gzip on
            // STAC JSON, whose search pages are ~3.5 kB of mostly repeated hrefs per picture.
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["application/geo+json", "application/schema+json", "application/vnd.mapbox-vector-tile"]);
        });
        // The default (Optimal) levels cost milliseconds per search page; Fastest keeps most of the size gain.
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Fastest);
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<PanoramaxOptions>>((o, panoramax) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix;
            // Deployments put the instance behind their own proxy (hrefs follow the public host); only it is believed.
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            var trusted = panoramax.Value.TrustedProxies ?? PanoramaxOptions.DefaultTrustedProxies;
            if (trusted.Any(t => t.Trim() == "*"))
            {
                return;
            }
            // Entries were checked at start-up (PanoramaxOptions.Validate).
            foreach (var network in trusted.Select(PanoramaxOptions.ProxyNetwork).OfType<System.Net.IPNetwork>())
            {
                o.KnownIPNetworks.Add(network);
            }
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
        var role = app.Services.GetRequiredService<IOptions<PanoramaxOptions>>().Value.Role;
        if (role == InstanceRole.Worker)
        {
            // A worker process only runs jobs; health lets an orchestrator watch it.
            api.MapHealth();
            return;
        }
        api.MapLanding();
        api.MapInstanceConfiguration();
        api.MapCollections();
        api.MapItems();
        api.MapSearch();
        api.MapMe();
        api.MapExports();
        api.MapUsers();
        api.MapAuth();
        app.MapPanoramaxOAuth();
        api.MapReports();
        // Both upload protocols in one group: the aggregator role refuses their writes in one place.
        var uploads = api.MapGroup("");
        uploads.MapUploadSets();
        uploads.MapLegacyUpload();
        api.MapManage();
        api.MapBlurCorrections();
        api.MapModeration();
        api.MapExcludedAreas();
        api.MapHealth();
        api.MapVectorTiles();
        app.MapViewer();
        if (role == InstanceRole.Aggregator)
        {
            uploads.AddEndpointFilter(AggregatorRole.RefuseWritesAsync);
            app.MapNoUploadPage();
        }
        else
        {
            app.MapUploadPage();
        }
        app.MapAccountPages();
        app.MapPageAssets();
        app.MapManagePages();
        app.MapFederationPage();
        api.MapPictureFiles();
        // The blurring API lives at the root, as on SGBlur: callers configure a base URL and add /blur/.
        app.MapBlur();
        app.MapPanoramaxFederation(api);

        app.MapOpenApi("/api/docs/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "api/docs/swagger";
            o.SwaggerEndpoint("/api/docs/specs.json", "Panoramax API");
            o.DocumentTitle = "Panoramax API";
        });
    }
}
