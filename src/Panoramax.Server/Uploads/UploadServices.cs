using Microsoft.Extensions.Options;
using Panoramax.Imaging;
using Panoramax.Server.Hosting;

namespace Panoramax.Server.Uploads;

public static class UploadServices
{
    public static IServiceCollection AddPanoramaxUploads(this IServiceCollection services)
    {
        services.AddOptions<UploadOptions>().BindConfiguration(UploadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new PictureMetadataReader(maxPixels: sp.GetRequiredService<IOptions<UploadOptions>>().Value.MaxPixels));
        services.AddSingleton<UploadSpool>();
        services.AddScoped<Uploader>();
        services.AddSingleton(sp => new MetadataTagWriter(sp.GetRequiredService<IOptions<UploadOptions>>().Value.Exiv2Path));
        services.AddScoped<FileIngestor>();
        return services;
    }
}

/// <summary>The folder received files are written to before they are checked and stored (never memory).</summary>
public sealed class UploadSpool
{
    public UploadSpool(IOptions<UploadOptions> uploads, IOptions<PanoramaxOptions> options)
    {
        Directory = string.IsNullOrEmpty(uploads.Value.SpoolDirectory)
            ? options.Value.DataPath(Path.Combine("tmp", "uploads"))
            : Path.GetFullPath(uploads.Value.SpoolDirectory);
        System.IO.Directory.CreateDirectory(Directory);
        // Files left by a crash mid-upload are garbage: nothing refers to them.
        foreach (var stale in System.IO.Directory.EnumerateFiles(Directory, "*.upload"))
        {
            try
            {
                File.Delete(stale);
            }
            catch (IOException)
            {
            }
        }
    }

    public string Directory { get; }

    public string NewPath() => Path.Combine(Directory, $"{Guid.NewGuid():N}.upload");
}
