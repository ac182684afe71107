using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Map;

/// <summary>
/// What the grid trigger on <c>sequences</c> reads: nothing when no sequence's counted state changed, and only the
/// pictures of the sequences that changed otherwise, even on a connection whose first sequence update ran while
/// <c>pictures</c> was empty (a new instance, a peer starting its first copy: the statement planned then used to walk
/// every picture on each later update). Counted with the connection's own statistics of the transaction.
/// </summary>
public sealed class PictureGridTriggerCostTests(TestInstance instance) : IClassFixture<TestInstance>
{
    private static readonly DateTimeOffset Day = new(2024, 6, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_sequence_update_reads_only_the_pictures_of_sequences_whose_visibility_changed()
    {
        await using var connection = new NpgsqlConnection(instance.ConnectionString);
        await connection.OpenAsync();
        // The first sequence update of this connection, while there is no picture at all.
        await ExecAsync(connection, "UPDATE sequences SET title = title WHERE false");

        var owner = await MapSeed.AdminAsync(instance);
        var quiet = await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(5.3690, 43.2960, 150, Day));
        var hidden = await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(5.3790, 43.3060, 20, Day));

        // Its aggregates refreshed: same visibility, so no picture is read and no cell marked.
        var (read, marked) = await InTransactionAsync(connection, "UPDATE sequences SET picture_count = picture_count WHERE id = @id", quiet.Sequence.Id);
        Assert.Equal(0, read);
        Assert.Equal(0, marked);

        // Hidden: its own pictures only, and their cell marked.
        (read, marked) = await InTransactionAsync(connection, "UPDATE sequences SET visibility = 'owner-only' WHERE id = @id", hidden.Sequence.Id);
        Assert.InRange(read, 1, hidden.Pictures.Count);
        Assert.Equal(1, marked);
    }

    /// <summary>Runs one statement in a transaction rolled back afterwards: pictures read (tuples fetched or scanned) and grid cells marked.</summary>
    private static async Task<(long Read, long Marked)> InTransactionAsync(NpgsqlConnection connection, string sql, Guid id)
    {
        await using var tx = await connection.BeginTransactionAsync();
        var marks = await ScalarAsync(connection, "SELECT count(*) FROM picture_grid_dirty");
        await using (var cmd = new NpgsqlCommand(sql, connection, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            await cmd.ExecuteNonQueryAsync();
        }
        // This backend's counts for the running transaction, not yet sent to the shared statistics.
        var read = await ScalarAsync(connection, """
            SELECT coalesce(idx_tup_fetch, 0) + seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = 'pictures'
            """);
        var marked = await ScalarAsync(connection, "SELECT count(*) FROM picture_grid_dirty") - marks;
        await tx.RollbackAsync();
        return (read, marked);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecAsync(NpgsqlConnection connection, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync();
    }
}
