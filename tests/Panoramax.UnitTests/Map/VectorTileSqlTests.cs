using Npgsql;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Map;

namespace Panoramax.UnitTests.Map;

public class VectorTileSqlTests
{
    private static readonly string[] AllLayers = ["grid", "sequences", "pictures"];

    private static (string Sql, NpgsqlParameterCollection Parameters) General(int z)
    {
        using var cmd = new NpgsqlCommand();
        return (VectorTileQuery.BuildGeneral(new TileAddress(z, 0, 0), Viewer.Anonymous, cmd.Parameters), cmd.Parameters);
    }

    [Theory]
    [InlineData(0, "grid")]
    [InlineData(5, "grid")]
    [InlineData(6, "grid,sequences")]
    [InlineData(7, "sequences")]
    [InlineData(14, "sequences")]
    [InlineData(15, "sequences,pictures")]
    public void General_tile_sql_has_one_layer_per_zoom_band(int z, string layers)
    {
        var (sql, _) = General(z);

        var named = AllLayers.Where(l => sql.Contains($"'{l}', 4096", StringComparison.Ordinal));
        Assert.Equal(layers, string.Join(',', named));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(10)]
    [InlineData(15)]
    public void Data_layers_go_through_the_visibility_policy(int z)
    {
        var (sql, _) = General(z);

        Assert.Contains("s.status = 'ready'", sql, StringComparison.Ordinal);
        Assert.Contains("s.visibility = 'anyone'", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("{", sql.Replace("{z}", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void User_tiles_are_restricted_to_the_account_at_every_zoom()
    {
        using var cmd = new NpgsqlCommand();
        var sql = VectorTileQuery.BuildUser(new TileAddress(2, 0, 0), Guid.NewGuid(), Viewer.Anonymous, cmd.Parameters);

        Assert.Contains("s.account_id = @user_id", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("'grid'", sql, StringComparison.Ordinal);
        Assert.Contains("to_char(s.min_captured_at", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Base_map_tile_is_a_256_pixel_png()
    {
        var png = new BaseMapTile().Png;

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        Assert.Equal(256, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(256, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
