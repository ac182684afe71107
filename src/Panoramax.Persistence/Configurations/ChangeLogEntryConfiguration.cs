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
        // text, not jsonb: the payload is hashed and signed, so its bytes must come back exactly as written.
        b.Property(x => x.Payload).HasColumnType("text");
        b.Property(x => x.PayloadHash).HasMaxLength(32);
        b.Property(x => x.PrevHash).HasMaxLength(32);
        b.Property(x => x.Signature).HasMaxLength(64);
        b.Property(x => x.EntryHash).HasMaxLength(32);
        // The sealer's queue: this instance's entries not sealed yet.
        b.HasIndex(x => new { x.OriginInstanceId, x.Seq }).HasDatabaseName("ix_change_log_unsealed").HasFilter("sealed_at IS NULL");
        // The partial index ix_change_log_pruned (retention floors, spec §7) is created in SQL by the ChangeLogRetention
        // migration: EF keeps one index per column list, and (origin_instance_id, seq) is the unsealed index's.
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.OriginInstanceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => new { x.EntityKind, x.EntityId, x.Seq });
        // No index on created_at: nothing looks entries up by age (retention walks seq windows), and every appended or
        // sealed entry paid for its maintenance.
    }
}
