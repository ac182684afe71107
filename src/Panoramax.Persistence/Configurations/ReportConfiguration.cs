using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Reports;
using Panoramax.Domain.Sequences;

namespace Panoramax.Persistence.Configurations;

internal sealed class ReportConfiguration : IEntityTypeConfiguration<Report>
{
    public void Configure(EntityTypeBuilder<Report> b)
    {
        b.ToTable("reports");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.Property(x => x.ReporterEmail).HasMaxLength(320);
        b.Property(x => x.ReporterComments).HasMaxLength(4000);
        b.Property(x => x.ResolverComments).HasMaxLength(4000);
        b.HasOne<Picture>().WithMany().HasForeignKey(x => x.PictureId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Sequence>().WithMany().HasForeignKey(x => x.SequenceId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.ReporterAccountId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Account>().WithMany().HasForeignKey(x => x.ResolverAccountId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(x => new { x.Status, x.CreatedAt });
        b.HasIndex(x => x.PictureId);
        b.HasIndex(x => x.SequenceId);
    }
}
