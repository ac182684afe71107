using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Instances;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.UploadSets;

namespace Panoramax.Persistence.Configurations;

internal sealed class SequenceConfiguration : IEntityTypeConfiguration<Sequence>
{
    public void Configure(EntityTypeBuilder<Sequence> b)
    {
        b.ToTable("sequences");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.Title).HasMaxLength(250);
        b.Property(x => x.License).HasMaxLength(100);
        b.Property(x => x.SortedBy).HasMaxLength(20);
        b.Property(x => x.UploadSoftware).HasMaxLength(20);
        b.Property(x => x.UserAgent).HasMaxLength(500);
        b.Property(x => x.CameraModel).HasMaxLength(400);
        b.Property(x => x.Semantics).HasColumnType("jsonb");
        b.Property(x => x.Geometry).HasColumnType("geometry(LineString,4326)");
        b.Property(x => x.Bbox).HasColumnType("geometry(Polygon,4326)");
        b.Property(x => x.Version).IsConcurrencyToken();
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.OriginInstanceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.AccountId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<UploadSet>().WithMany().HasForeignKey(x => x.UploadSetId).OnDelete(DeleteBehavior.SetNull);
        // Only uploads made here have an upload set: replicated and harvested records (most of an aggregator's) would
        // fill a full index with NULLs, and every one written would pay for an entry nobody looks up.
        b.HasIndex(x => x.UploadSetId).HasFilter("upload_set_id IS NOT NULL");
        b.HasIndex(x => x.Geometry).HasMethod("gist");
        b.HasIndex(x => x.Bbox).HasMethod("gist");
        // Keyset paging of collection lists and the harvester's "updated > …" filter.
        b.HasIndex(x => new { x.CreatedAt, x.Id });
        b.HasIndex(x => new { x.UpdatedAt, x.Id });
        b.HasIndex(x => new { x.AccountId, x.CreatedAt });
        b.HasIndex(x => new { x.MinCapturedAt, x.MaxCapturedAt });
        b.HasIndex(x => x.Semantics).HasMethod("gin").HasOperators("jsonb_path_ops");
    }
}
