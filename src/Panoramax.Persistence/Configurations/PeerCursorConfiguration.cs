using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Instances;

namespace Panoramax.Persistence.Configurations;

internal sealed class PeerCursorConfiguration : IEntityTypeConfiguration<PeerCursor>
{
    public void Configure(EntityTypeBuilder<PeerCursor> b)
    {
        b.ToTable("peer_cursors");
        b.HasKey(x => new { x.PeerId, x.OriginId });
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.PeerId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Instance>().WithMany().HasForeignKey(x => x.OriginId).OnDelete(DeleteBehavior.Cascade);
    }
}
