using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;

namespace Panoramax.Persistence.Configurations;

internal sealed class ReconcileRunConfiguration : IEntityTypeConfiguration<ReconcileRun>
{
    public void Configure(EntityTypeBuilder<ReconcileRun> b)
    {
        b.ToTable("federation_reconcile_reports");
        b.HasKey(x => x.Id);
        b.Property(x => x.Error).HasMaxLength(2000);
        b.Property(x => x.Details).HasColumnType("jsonb");
        // The latest reports of one peer, newest first.
        b.HasIndex(x => new { x.PeerId, x.FinishedAt });
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.PeerId).OnDelete(DeleteBehavior.Cascade);
    }
}
