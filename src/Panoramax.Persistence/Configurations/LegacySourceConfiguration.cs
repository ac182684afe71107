using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Instances;

namespace Panoramax.Persistence.Configurations;

internal sealed class LegacySourceConfiguration : IEntityTypeConfiguration<LegacySource>
{
    public void Configure(EntityTypeBuilder<LegacySource> b)
    {
        b.ToTable("legacy_sources");
        b.HasKey(x => x.InstanceId);
        b.Property(x => x.InstanceId).ValueGeneratedNever();
        b.Property(x => x.Url).HasMaxLength(2000);
        b.Property(x => x.LastError).HasMaxLength(2000);
        b.Property(x => x.Interval).HasColumnName("harvest_interval");
        b.HasIndex(x => x.Url).IsUnique();
        b.HasOne<Instance>().WithOne().HasForeignKey<LegacySource>(x => x.InstanceId).OnDelete(DeleteBehavior.Cascade);
    }
}
