using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Visibility;

namespace Panoramax.Persistence.Queries;

/// <summary>A tile address in the Web Mercator pyramid the viewer uses (z 0–15, overzoomed above).</summary>
public readonly record struct TileAddress(int Z, int X, int Y)
{
    public const int MaxZoom = 15;

    public bool IsValid => Z is >= 0 and <= MaxZoom && X >= 0 && Y >= 0 && X < (1 << Z) && Y < (1 << Z);
}

/// <summary>
/// Builds the vector tiles: the general map (grid at low zoom, sequences, pictures at 15) and a user's map
/// (no grid, sequences with properties at every zoom). Visibility comes only from <see cref="VisibilitySql"/>.
/// </summary>
public static class VectorTileQuery
{
    /// <summary>Zooms up to this one show the precomputed grid.</summary>
    public const int GridMaxZoom = 6;
    /// <summary>From this zoom sequences carry properties (the viewer filters them from 7).</summary>
    public const int SequencePropertiesMinZoom = 7;
    public const int PicturesMinZoom = 15;

    /// <summary>The general tile for <paramref name="viewer"/>; empty array when nothing is in it.</summary>
    public static Task<byte[]> GeneralAsync(NpgsqlDataSource db, TileAddress tile, Viewer viewer, CancellationToken ct)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = BuildGeneral(tile, viewer, cmd.Parameters);
        return RunAsync(cmd, tile, ct);
    }

    /// <summary>The tile of one account's sequences and pictures, as <paramref name="viewer"/> may see them.</summary>
    public static Task<byte[]> UserAsync(NpgsqlDataSource db, TileAddress tile, Guid accountId, Viewer viewer, CancellationToken ct)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = BuildUser(tile, accountId, viewer, cmd.Parameters);
        return RunAsync(cmd, tile, ct);
    }

    /// <summary>The SQL of a general tile (public for snapshot tests and the benchmark baseline).</summary>
    public static string BuildGeneral(TileAddress tile, Viewer viewer, NpgsqlParameterCollection parameters)
    {
        var ctes = new List<string> { VectorTileSql.Bounds };
        var layers = new List<string>();
        if (tile.Z <= GridMaxZoom)
        {
            ctes.Add(VectorTileSql.Grid);
            layers.Add("grid");
        }
        if (tile.Z == GridMaxZoom)
        {
            ctes.Add(Visible(VectorTileSql.SimplifiedSequences, viewer, parameters));
            parameters.Add(new NpgsqlParameter("tolerance", NpgsqlDbType.Double) { Value = MetresPerTileUnit(tile.Z) });
            layers.Add("sequences");
        }
        else if (tile.Z >= SequencePropertiesMinZoom)
        {
            ctes.Add(Visible(VectorTileSql.Sequences, viewer, parameters).Replace("{seq_filter}", "", StringComparison.Ordinal));
            layers.Add("sequences");
        }
        if (tile.Z >= PicturesMinZoom)
        {
            ctes.Add(Visible(VectorTileSql.Pictures, viewer, parameters).Replace("{pic_filter}", "", StringComparison.Ordinal));
            layers.Add("pictures");
        }
        return VectorTileSql.Compose(ctes, layers);
    }

    public static string BuildUser(TileAddress tile, Guid accountId, Viewer viewer, NpgsqlParameterCollection parameters)
    {
        parameters.Add(new NpgsqlParameter("user_id", NpgsqlDbType.Uuid) { Value = accountId });
        var ctes = new List<string>
        {
            VectorTileSql.Bounds,
            Visible(VectorTileSql.Sequences, viewer, parameters).Replace("{seq_filter}", " AND s.account_id = @user_id", StringComparison.Ordinal),
        };
        var layers = new List<string> { "sequences" };
        if (tile.Z >= PicturesMinZoom)
        {
            ctes.Add(Visible(VectorTileSql.Pictures, viewer, parameters).Replace("{pic_filter}", " AND p.account_id = @user_id", StringComparison.Ordinal));
            layers.Add("pictures");
        }
        return VectorTileSql.Compose(ctes, layers);
    }

    private static string Visible(string sql, Viewer viewer, NpgsqlParameterCollection parameters) => sql
        .Replace("{seq_visible}", VisibilitySql.Predicate("s", viewer, parameters), StringComparison.Ordinal)
        .Replace("{pic_visible}", VisibilitySql.Predicate("p", viewer, parameters), StringComparison.Ordinal);

    /// <summary>Size of one of the 4096 tile units in Web Mercator metres: below it, detail is invisible.</summary>
    private static double MetresPerTileUnit(int z) => 40_075_016.686 / (1 << z) / VectorTileSql.Extent;

    private static async Task<byte[]> RunAsync(NpgsqlCommand cmd, TileAddress tile, CancellationToken ct)
    {
        await using (cmd)
        {
            cmd.Parameters.Add(new NpgsqlParameter("z", NpgsqlDbType.Integer) { Value = tile.Z });
            cmd.Parameters.Add(new NpgsqlParameter("x", NpgsqlDbType.Integer) { Value = tile.X });
            cmd.Parameters.Add(new NpgsqlParameter("y", NpgsqlDbType.Integer) { Value = tile.Y });
            return await cmd.ExecuteScalarAsync(ct) as byte[] ?? [];
        }
    }
}
