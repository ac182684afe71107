using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Panoramax.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running server (see Migrations/README.md).</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PanoramaxDbContext>
{
    public PanoramaxDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PanoramaxDbContext>();
        options.UsePanoramaxNpgsql(PersistenceExtensions.BuildPanoramaxDataSource("Host=127.0.0.1;Database=design_time"));
        return new PanoramaxDbContext(options.Options);
    }
}
