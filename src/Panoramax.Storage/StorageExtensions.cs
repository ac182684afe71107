using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Abstractions;
using Panoramax.Storage.FileSystem;
using Panoramax.Storage.S3;

namespace Panoramax.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// Registers the one <see cref="IBlobStore"/> chosen by <c>Panoramax:Storage:Kind</c>, and a start-up step that
    /// creates the root folder or checks (and creates) the bucket, so a bad configuration stops the host early.
    /// </summary>
    public static IServiceCollection AddPanoramaxStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .Validate(o => o.Kind != StorageKind.S3 || !string.IsNullOrWhiteSpace(o.S3.Endpoint), "Panoramax:Storage:S3:Endpoint is required when Kind is s3")
            .Validate(o => o.Kind != StorageKind.S3 || !string.IsNullOrWhiteSpace(o.S3.Bucket), "Panoramax:Storage:S3:Bucket is required when Kind is s3")
            .Validate(o => o.Kind != StorageKind.S3 || !string.IsNullOrEmpty(o.S3.AccessKey) && !string.IsNullOrEmpty(o.S3.SecretKey),
                "Panoramax:Storage:S3:AccessKey and SecretKey are required when Kind is s3 (the client signs every request)")
            .Validate(o => o.S3.DirectDownloadWindow >= TimeSpan.FromMinutes(1) && o.S3.DirectDownloadWindow <= TimeSpan.FromDays(3.5),
                "Panoramax:Storage:S3:DirectDownloadWindow must be between 00:01:00 and 3.12:00:00 (links live two windows, S3 allows 7 days)")
            .Validate(o => string.IsNullOrEmpty(o.S3.PublicEndpoint) || Uri.TryCreate(o.S3.PublicEndpoint, UriKind.Absolute, out var u)
                    && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps) && u.AbsolutePath == "/" && string.IsNullOrEmpty(u.Query),
                "Panoramax:Storage:S3:PublicEndpoint must be an http(s) URL without a path, such as https://s3.example.org (the signature covers the path)")
            .PostConfigure(o => o.FileSystem.Root = ResolveRoot(o.FileSystem.Root, configuration["Panoramax:DataDirectory"]))
            .ValidateOnStart();
        services.AddSingleton<IBlobStore>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return o.Kind switch
            {
                StorageKind.S3 => new S3BlobStore(o.S3, sp.GetRequiredService<ILogger<S3BlobStore>>()),
                _ => new FileSystemBlobStore(o.FileSystem.Root!),
            };
        });
        services.AddHostedService<StorageInitializer>();
        return services;
    }

    /// <summary>Relative roots live in the data directory (default <c>var</c>), like the embedded database and keys.</summary>
    internal static string ResolveRoot(string? root, string? dataDirectory)
    {
        var data = Path.GetFullPath(string.IsNullOrEmpty(dataDirectory) ? "var" : dataDirectory);
        return Path.GetFullPath(string.IsNullOrEmpty(root) ? "storage" : root, data);
    }

    private sealed class StorageInitializer(IBlobStore store, ILogger<StorageInitializer> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            switch (store)
            {
                case FileSystemBlobStore fs:
                    await fs.InitializeAsync(cancellationToken);
                    logger.LogInformation("Storing files under {Root}", fs.Root);
                    break;
                case S3BlobStore s3:
                    await s3.InitializeAsync(cancellationToken);
                    break;
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
