using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Moderation;

namespace Panoramax.Persistence.Configurations;

internal sealed class ModerationActionConfiguration : IEntityTypeConfiguration<ModerationAction>
{
    public void Configure(EntityTypeBuilder<ModerationAction> b)
    {
        b.ToTable("moderation_actions");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Reason).HasMaxLength(4000);
        // No foreign keys to pictures/sequences: the audit record outlives what it is about.
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.ActorAccountId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => new { x.PictureId, x.CreatedAt });
        b.HasIndex(x => new { x.SequenceId, x.CreatedAt });
    }
}

internal sealed class ExcludedAreaConfiguration : IEntityTypeConfiguration<ExcludedArea>
{
    public void Configure(EntityTypeBuilder<ExcludedArea> b)
    {
        b.ToTable("excluded_areas");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Label).HasMaxLength(250);
        b.Property(x => x.Geometry).HasColumnType("geometry(Geometry,4326)");
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.Geometry).HasMethod("gist");
        b.HasIndex(x => x.AccountId);
    }
}
