using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Instances;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.UploadSets;

namespace Panoramax.Persistence.Configurations;

internal sealed class UploadSetConfiguration : IEntityTypeConfiguration<UploadSet>
{
    public void Configure(EntityTypeBuilder<UploadSet> b)
    {
        b.ToTable("upload_sets");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Title).HasMaxLength(250);
        b.Property(x => x.SortMethod).HasMaxLength(20);
        b.Property(x => x.UserAgent).HasMaxLength(500);
        b.Property(x => x.Metadata).HasColumnType("jsonb");
        b.Property(x => x.Semantics).HasColumnType("jsonb");
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.OriginInstanceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(x => new { x.AccountId, x.CreatedAt });
    }
}

internal sealed class UploadSetFileConfiguration : IEntityTypeConfiguration<UploadSetFile>
{
    public void Configure(EntityTypeBuilder<UploadSetFile> b)
    {
        b.ToTable("upload_set_files");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.FileName).HasMaxLength(255);
        b.Property(x => x.ContentMd5).HasMaxLength(32).IsFixedLength();
        b.Property(x => x.ContentSha256).HasMaxLength(32);
        b.Property(x => x.RejectionMessage).HasMaxLength(2000);
        b.Property(x => x.RejectionDetails).HasColumnType("jsonb");
        b.HasOne<UploadSet>().WithMany().HasForeignKey(x => x.UploadSetId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Picture>().WithMany().HasForeignKey(x => x.PictureId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(x => new { x.UploadSetId, x.FileName });
        b.HasIndex(x => new { x.UploadSetId, x.ContentSha256 });
    }
}
