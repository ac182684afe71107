using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Exports;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Moderation;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Reports;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.UploadSets;

namespace Panoramax.Persistence;

public sealed class PanoramaxDbContext(DbContextOptions<PanoramaxDbContext> options) : DbContext(options)
{
    public DbSet<Instance> Instances => Set<Instance>();
    public DbSet<Account> Accounts => Set<Account>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<ExternalLogin> ExternalLogins => Set<ExternalLogin>();
    public DbSet<Sequence> Sequences => Set<Sequence>();
    public DbSet<Picture> Pictures => Set<Picture>();
    public DbSet<PictureBlurRegion> PictureBlurRegions => Set<PictureBlurRegion>();
    public DbSet<UploadSet> UploadSets => Set<UploadSet>();
    public DbSet<UploadSetFile> UploadSetFiles => Set<UploadSetFile>();
    public DbSet<Report> Reports => Set<Report>();
    public DbSet<ChangeLogEntry> ChangeLog => Set<ChangeLogEntry>();
    public DbSet<BackgroundJob> Jobs => Set<BackgroundJob>();
    public DbSet<PeerCursor> PeerCursors => Set<PeerCursor>();
    public DbSet<LegacySource> LegacySources => Set<LegacySource>();
    public DbSet<ModerationAction> ModerationActions => Set<ModerationAction>();
    public DbSet<ExcludedArea> ExcludedAreas => Set<ExcludedArea>();
    public DbSet<AccountExport> AccountExports => Set<AccountExport>();
    public DbSet<ReconcileRun> ReconcileRuns => Set<ReconcileRun>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("postgis");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PanoramaxDbContext).Assembly);
        // OpenIddict's entities (its default string keys), in snake_case tables like ours.
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreApplication>().ToTable("openiddict_applications");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreAuthorization>().ToTable("openiddict_authorizations");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreScope>().ToTable("openiddict_scopes");
        modelBuilder.Entity<OpenIddictEntityFrameworkCoreToken>().ToTable("openiddict_tokens");
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Enums are stored as the API's kebab-case words, so SQL, API and logs speak the same vocabulary.
        foreach (var enumType in typeof(Instance).Assembly.GetTypes().Where(t => t.IsEnum))
        {
            var converter = typeof(ApiNameConverter<>).MakeGenericType(enumType);
            configurationBuilder.Properties(enumType).HaveConversion(converter);
        }
    }
}
