using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Instances;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.UploadSets;

namespace Panoramax.Persistence.Configurations;

internal sealed class PictureConfiguration : IEntityTypeConfiguration<Picture>
{
    public void Configure(EntityTypeBuilder<Picture> b)
    {
        b.ToTable("pictures");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Location).HasColumnType("geometry(Point,4326)");
        b.Property(x => x.CameraMake).HasMaxLength(200);
        b.Property(x => x.CameraModel).HasMaxLength(200);
        b.Property(x => x.OriginalFileName).HasMaxLength(255);
        b.Property(x => x.License).HasMaxLength(100);
        b.Property(x => x.ContentSha256).HasMaxLength(32);
        b.Property(x => x.Exif).HasColumnType("jsonb");
        b.Property(x => x.Semantics).HasColumnType("jsonb");
        b.Property(x => x.RemoteAssets).HasColumnType("jsonb");
        b.Property(x => x.HdKey).HasMaxLength(500);
        b.Property(x => x.OriginalKey).HasMaxLength(500);
        b.Property(x => x.SdKey).HasMaxLength(500);
        b.Property(x => x.ThumbKey).HasMaxLength(500);
        b.Property(x => x.TilesPrefix).HasMaxLength(500);
        b.Property(x => x.Version).IsConcurrencyToken();
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.OriginInstanceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Sequence>().WithMany().HasForeignKey(x => x.SequenceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<UploadSet>().WithMany().HasForeignKey(x => x.UploadSetId).OnDelete(DeleteBehavior.SetNull);

        // bbox / intersects / kNN (<->) searches and MVT tiles.
        // Only uploads made here have an upload set: replicated and harvested records (most of an aggregator's) would
        // fill a full index with NULLs, and every one written would pay for an entry nobody looks up.
        b.HasIndex(x => x.UploadSetId).HasFilter("upload_set_id IS NOT NULL");
        b.HasIndex(x => x.Location).HasMethod("gist");
        // Items of a sequence in rank order; ranks are unique among live pictures.
        b.HasIndex(x => new { x.SequenceId, x.Rank }).IsUnique().HasFilter("deleted_at IS NULL");
        b.HasIndex(x => x.CapturedAt);
        b.HasIndex(x => new { x.UpdatedAt, x.Id });
        b.HasIndex(x => new { x.AccountId, x.ContentSha256 });
        // The processing queue scans only pictures that still need work.
        b.HasIndex(x => x.Status).HasFilter("status IN ('waiting-for-process', 'preparing', 'waiting-for-delete')");
        b.HasIndex(x => x.Semantics).HasMethod("gin").HasOperators("jsonb_path_ops");
    }
}

internal sealed class PictureBlurRegionConfiguration : IEntityTypeConfiguration<PictureBlurRegion>
{
    public void Configure(EntityTypeBuilder<PictureBlurRegion> b)
    {
        b.ToTable("picture_blur_regions");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        // The regions go with their picture; they outlive the account that asked for them (and the report).
        b.HasOne<Picture>().WithMany().HasForeignKey(x => x.PictureId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.AddedByAccountId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(x => new { x.PictureId, x.CreatedAt });
    }
}
