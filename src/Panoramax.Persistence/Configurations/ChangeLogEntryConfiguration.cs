using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;

namespace Panoramax.Persistence.Configurations;

internal sealed class ChangeLogEntryConfiguration : IEntityTypeConfiguration<ChangeLogEntry>
{
    public void Configure(EntityTypeBuilder<ChangeLogEntry> b)
    {
        b.ToTable("change_log");
        // (origin, seq) is the identity of an entry everywhere in the network.
        b.HasKey(x => new { x.OriginInstanceId, x.Seq });
        b.Property(x => x.Payload).HasColumnType("jsonb");
        b.Property(x => x.PayloadHash).HasMaxLength(32);
        b.Property(x => x.PrevHash).HasMaxLength(32);
        b.Property(x => x.Signature).HasMaxLength(64);
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.OriginInstanceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => new { x.EntityKind, x.EntityId, x.Seq });
        // Retention sweeps delete old entries by age.
        b.HasIndex(x => x.CreatedAt);
    }
}
