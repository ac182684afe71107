using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Panoramax.Imaging;
using Panoramax.Jobs.Dispatch;
using Panoramax.Jobs.Export;
using Panoramax.Jobs.Processing;
using Panoramax.Jobs.Publication;

namespace Panoramax.Jobs;

public static class JobsExtensions
{
    /// <summary>
    /// Handlers, the processing pipeline and — unless <c>Panoramax:Role</c> is <c>api</c> or <c>aggregator</c> — the
    /// worker that runs them. Needs what the host registers anyway: the database (NpgsqlDataSource, DbContext),
    /// <c>IBlobStore</c>, <c>IPictureBlurrer</c>, an <see cref="IExportItemWriter"/> and a <see cref="TimeProvider"/>. Register the host's
    /// <see cref="IPublicationListener"/> implementations next to it.
    /// </summary>
    public static IServiceCollection AddPanoramaxJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.LeaseDuration >= TimeSpan.FromSeconds(1) && o.PollInterval > TimeSpan.Zero && o.RetryBaseDelay >= TimeSpan.Zero,
                "Panoramax:Jobs: LeaseDuration must be at least 1 s, PollInterval positive")
            .ValidateOnStart();
        services.AddOptions<PipelineBlurOptions>().BindConfiguration(PipelineBlurOptions.Section);
        services.AddOptions<DispatchDefaults>().BindConfiguration(DispatchDefaults.Section);
        services.AddOptions<ExportOptions>().BindConfiguration(ExportOptions.Section)
            .Validate(o => o.Retention > TimeSpan.Zero && o.PageSize > 0, "Panoramax:Export: Retention and PageSize must be positive")
            .ValidateOnStart();

        services.TryAddSingleton(_ => new DerivativeRenderer(PictureProcessor.RendererTempDirectory));
        services.TryAddSingleton<BlurAvailability>();
        services.TryAddScoped<PictureProcessor>();
        services.TryAddScoped<PicturePublisher>();

        AddHandler<ProcessPictureHandler>(services, Domain.Jobs.JobKinds.ProcessPicture);
        AddHandler<DispatchUploadSetHandler>(services, Domain.Jobs.JobKinds.DispatchUploadSet);
        AddHandler<DeletePictureFilesHandler>(services, Domain.Jobs.JobKinds.DeletePictureFiles);
        AddHandler<ReblurPictureHandler>(services, Domain.Jobs.JobKinds.ReblurPicture);
        // Needs the host's IExportItemWriter (the STAC item renderer lives with the API).
        AddHandler<ExportAccountHandler>(services, Domain.Jobs.JobKinds.ExportAccount);

        if (RunsWorker(configuration["Panoramax:Role"]))
        {
            services.AddSingleton<JobWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<JobWorker>());
        }
        return services;
    }

    /// <summary><c>instance</c> (the default) and <c>worker</c> run jobs; <c>api</c> and <c>aggregator</c> do not.</summary>
    public static bool RunsWorker(string? role) =>
        string.IsNullOrWhiteSpace(role)
        || role.Equals("instance", StringComparison.OrdinalIgnoreCase)
        || role.Equals("worker", StringComparison.OrdinalIgnoreCase);

    private static void AddHandler<T>(IServiceCollection services, string kind) where T : class, IJobHandler
    {
        services.AddScoped<T>();
        services.AddSingleton(new JobHandlerRegistration(kind, typeof(T)));
    }
}
