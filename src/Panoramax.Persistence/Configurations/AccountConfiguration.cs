using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Instances;

namespace Panoramax.Persistence.Configurations;

internal sealed class AccountConfiguration : IEntityTypeConfiguration<Account>
{
    public void Configure(EntityTypeBuilder<Account> b)
    {
        b.ToTable("accounts");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Email).HasMaxLength(320);
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.OriginInstanceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => x.Name);
        b.HasIndex(x => x.Email).IsUnique().HasFilter("email IS NOT NULL");
        // One default account owns anonymous uploads.
        b.HasIndex(x => x.IsDefault).IsUnique().HasFilter("is_default");
    }
}
