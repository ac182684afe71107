using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Exports;

namespace Panoramax.Persistence.Configurations;

internal sealed class AccountExportConfiguration : IEntityTypeConfiguration<AccountExport>
{
    public void Configure(EntityTypeBuilder<AccountExport> b)
    {
        b.ToTable("account_exports");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.BaseUrl).HasMaxLength(2000);
        b.Property(x => x.BlobKey).HasMaxLength(1024);
        b.Property(x => x.Sha256).HasMaxLength(64);
        b.Property(x => x.Error).HasMaxLength(4000);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId).OnDelete(DeleteBehavior.Cascade);
        // The caller's latest export.
        b.HasIndex(x => new { x.AccountId, x.CreatedAt });
        // One export in progress per account: a second request gets the first one (see POST /api/users/me/export).
        b.HasIndex(x => x.AccountId).IsUnique().HasFilter("state IN ('queued', 'running')").HasDatabaseName("ix_account_exports_pending");
        // The expiry sweep: finished archives past their retention.
        b.HasIndex(x => x.ExpiresAt).HasFilter("state = 'ready'");
    }
}
