using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Jobs;

namespace Panoramax.Persistence.Configurations;

internal sealed class BackgroundJobConfiguration : IEntityTypeConfiguration<BackgroundJob>
{
    public void Configure(EntityTypeBuilder<BackgroundJob> b)
    {
        b.ToTable("jobs");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).UseIdentityAlwaysColumn();
        b.Property(x => x.Kind).HasMaxLength(64);
        b.Property(x => x.LockedBy).HasMaxLength(200);
        // At most one pending job per (kind, target): enqueueing twice is a no-op (idempotent callers).
        b.HasIndex(x => new { x.Kind, x.TargetId }).IsUnique().HasFilter("state IN ('queued', 'running')").HasDatabaseName("ix_jobs_pending_target");
        // The claim query: pending jobs due now, oldest first.
        b.HasIndex(x => new { x.State, x.RunAfter }).HasFilter("state IN ('queued', 'running')").HasDatabaseName("ix_jobs_due");
    }
}
