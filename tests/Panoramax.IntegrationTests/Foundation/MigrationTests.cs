using Microsoft.EntityFrameworkCore;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence;

namespace Panoramax.IntegrationTests.Foundation;

public class MigrationTests
{
    [Fact]
    public async Task Migrations_apply_on_an_empty_database_and_match_the_model()
    {
        var cs = await TestCluster.CreateDatabaseAsync("migrations", migrated: false);
        try
        {
            await using var dataSource = PersistenceExtensions.BuildPanoramaxDataSource(cs);
            var options = new DbContextOptionsBuilder<PanoramaxDbContext>();
            options.UsePanoramaxNpgsql(dataSource);
            await using var db = new PanoramaxDbContext(options.Options);

            Assert.NotEmpty(await db.Database.GetPendingMigrationsAsync());
            await db.Database.MigrateAsync();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a migration: run dotnet ef migrations add (see src/Panoramax.Persistence/Migrations/README.md)");

            await using var cmd = dataSource.CreateCommand("""
                SELECT type, srid FROM geometry_columns WHERE f_table_name = 'pictures' AND f_geometry_column = 'location'
                """);
            await using var reader = await cmd.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("POINT", reader.GetString(0));
            Assert.Equal(4326, reader.GetInt32(1));
        }
        finally
        {
            await TestCluster.DropDatabaseAsync(cs);
        }
    }

    [Theory]
    [InlineData("pictures", "ix_pictures_location", "gist")]
    [InlineData("sequences", "ix_sequences_geometry", "gist")]
    [InlineData("pictures", "ix_pictures_captured_at", "btree")]
    [InlineData("sequences", "ix_sequences_updated_at_id", "btree")]
    public async Task Searches_have_their_indexes(string table, string index, string method)
    {
        var cs = await TestCluster.CreateDatabaseAsync("indexes");
        try
        {
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("""
                SELECT am.amname FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am am ON am.oid = c.relam
                WHERE t.relname = $1 AND c.relname = $2
                """, conn) { Parameters = { new() { Value = table }, new() { Value = index } } };
            Assert.Equal(method, await cmd.ExecuteScalarAsync() as string);
        }
        finally
        {
            await TestCluster.DropDatabaseAsync(cs);
        }
    }
}
