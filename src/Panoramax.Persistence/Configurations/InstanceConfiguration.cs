using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Instances;

namespace Panoramax.Persistence.Configurations;

internal sealed class InstanceConfiguration : IEntityTypeConfiguration<Instance>
{
    public void Configure(EntityTypeBuilder<Instance> b)
    {
        b.ToTable("instances");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.BaseUrl).HasMaxLength(2000);
        b.Property(x => x.FederationUrl).HasMaxLength(2000);
        b.Property(x => x.LastError).HasMaxLength(2000);
        // At most one row describes this instance itself.
        b.HasIndex(x => x.IsSelf).IsUnique().HasFilter("is_self");
        b.HasIndex(x => x.BaseUrl).IsUnique();
    }
}
