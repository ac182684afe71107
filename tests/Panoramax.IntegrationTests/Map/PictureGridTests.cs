using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Visibility;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Queries;

namespace Panoramax.IntegrationTests.Map;

/// <summary>
/// The low-zoom grid is kept cell by cell from what the triggers note: after any change and a refresh it must hold
/// exactly what counting every public picture again gives, and a change committed while a refresh runs is never lost.
/// </summary>
public sealed class PictureGridTests(TestInstance instance) : IClassFixture<TestInstance>
{
    private static readonly DateTimeOffset Day = new(2024, 6, 1, 10, 0, 0, TimeSpan.Zero);

    // Every public picture counted again, as the grid's first build does.
    private const string FullRecount = """
        SELECT picture_grid_cell(p.location) AS id, count(*)::int,
               (count(*) FILTER (WHERE p.kind = 'equirectangular'))::int, (count(*) FILTER (WHERE p.kind = 'flat'))::int
        FROM pictures p JOIN sequences s ON s.id = p.sequence_id
        WHERE p.visibility = 'anyone' AND p.status = 'ready' AND p.deleted_at IS NULL AND NOT p.license_filtered
          AND s.visibility = 'anyone' AND s.status = 'ready' AND s.deleted_at IS NULL AND NOT s.license_filtered
        GROUP BY 1 ORDER BY 1
        """;

    private const string Stored = "SELECT id, nb_pictures, nb_360_pictures, nb_flat_pictures FROM picture_grid ORDER BY id";

    private PictureGridRefresher Refresher => instance.Services.GetRequiredService<PictureGridRefresher>();

    [Fact]
    public async Task Grid_kept_cell_by_cell_equals_a_full_recount_after_every_kind_of_change()
    {
        var owner = await MapSeed.AdminAsync(instance);
        // Two cells near Lyon, one of them shared by two sequences, a 360 one among them.
        var a = await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(4.8310, 45.7610, 4, Day));
        var b = await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(4.8350, 45.7650, 3, Day), PictureKind.Equirectangular);
        var c = await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(4.9550, 45.7650, 2, Day));
        await Refresher.RefreshAsync(CancellationToken.None);
        await AssertGridIsExactAsync("seeded");

        var changes = new (string What, string Sql, Guid Id)[]
        {
            ("picture hidden", "UPDATE pictures SET visibility = 'owner-only' WHERE id = @id", a.Pictures[0].Id),
            ("picture shown again", "UPDATE pictures SET visibility = 'anyone' WHERE id = @id", a.Pictures[0].Id),
            ("picture soft-deleted", "UPDATE pictures SET deleted_at = now(), status = 'deleted' WHERE id = @id", a.Pictures[1].Id),
            ("picture moved to another cell", "UPDATE pictures SET location = ST_SetSRID(ST_MakePoint(4.9560, 45.7660), 4326) WHERE id = @id", a.Pictures[2].Id),
            ("picture turned 360", "UPDATE pictures SET kind = 'equirectangular' WHERE id = @id", a.Pictures[3].Id),
            ("picture moved to a hidden sequence", "UPDATE pictures SET sequence_id = (SELECT id FROM sequences WHERE visibility <> 'anyone' LIMIT 1) WHERE id = @id", a.Pictures[3].Id),
            ("sequence hidden", "UPDATE sequences SET visibility = 'logged-only' WHERE id = @id", b.Sequence.Id),
            ("picture filtered by licence", "UPDATE pictures SET license_filtered = true WHERE id = @id", c.Pictures[0].Id),
            ("sequence filtered by licence", "UPDATE sequences SET license_filtered = true WHERE id = @id", c.Sequence.Id),
            ("sequence back", "UPDATE sequences SET license_filtered = false WHERE id = @id", c.Sequence.Id),
            ("sequence shown again", "UPDATE sequences SET visibility = 'anyone' WHERE id = @id", b.Sequence.Id),
            ("picture row removed", "DELETE FROM pictures WHERE id = @id", b.Pictures[0].Id),
            ("sequence not ready", "UPDATE sequences SET status = 'preparing' WHERE id = @id", c.Sequence.Id),
        };
        // The target of the move: a hidden sequence of the same owner.
        await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(4.8390, 45.7690, 1, Day), visibility: Visibility.OwnerOnly);
        foreach (var (what, sql, id) in changes)
        {
            await ExecAsync(sql, id);
            await Refresher.RefreshAsync(CancellationToken.None);
            await AssertGridIsExactAsync(what);
        }
        // Emptied cells are gone, not kept at zero.
        Assert.DoesNotContain(await ReadAsync(Stored), row => row[1] == 0);
    }

    [Fact]
    public async Task A_change_committed_while_a_refresh_takes_an_older_mark_of_its_cell_is_counted_by_the_next_refresh()
    {
        var owner = await MapSeed.AdminAsync(instance);
        var walk = await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(-1.5530, 47.2180, 3, Day));
        await Refresher.RefreshAsync(CancellationToken.None);
        var cell = (await ReadAsync($"SELECT picture_grid_cell(location), 0, 0, 0 FROM pictures WHERE id = '{walk.Pictures[0].Id}'"))[0][0];

        // A committed mark of the cell waits in the list, and an edit of the same cell is in flight (its own mark not
        // committed yet) when a refresh takes the list.
        await ExecAsync("UPDATE pictures SET visibility = 'owner-only' WHERE id = @id", walk.Pictures[0].Id);
        await using var edit = new NpgsqlConnection(instance.ConnectionString);
        await edit.OpenAsync();
        await using var tx = await edit.BeginTransactionAsync();
        await using (var hide = new NpgsqlCommand("UPDATE pictures SET visibility = 'owner-only' WHERE id = @id", edit, tx))
        {
            hide.Parameters.AddWithValue("id", walk.Pictures[1].Id);
            await hide.ExecuteNonQueryAsync();
        }
        await Refresher.RefreshAsync(CancellationToken.None);
        Assert.Equal(2, await CellCountAsync(cell));
        await tx.CommitAsync();

        // The edit's own mark survived the refresh that ran before its commit.
        await Refresher.RefreshAsync(CancellationToken.None);
        Assert.Equal(1, await CellCountAsync(cell));
        await AssertGridIsExactAsync("after the in-flight edit");
    }

    [Fact]
    public async Task Pictures_at_the_edges_of_the_world_fall_in_the_last_cells()
    {
        var owner = await MapSeed.AdminAsync(instance);
        await MapSeed.SequenceAsync(instance, owner, [new MapPicture(180, 90, Day, 0), new MapPicture(179.95, 89.95, Day.AddSeconds(2), 0), new MapPicture(-180, -90, Day.AddSeconds(4), 0)]);
        await Refresher.RefreshAsync(CancellationToken.None);
        await AssertGridIsExactAsync("edges");
        Assert.Equal(2, await CellCountAsync(((1799 + 1800) * 1800) + 899 + 900));
        Assert.Equal(1, await CellCountAsync(0));
    }

    [Fact]
    public async Task Upgrading_an_instance_with_published_pictures_counts_them_in_the_new_grid_and_the_way_back_works()
    {
        var owner = await MapSeed.AdminAsync(instance);
        await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(3.0570, 50.6290, 3, Day), PictureKind.Equirectangular);
        await MapSeed.SequenceAsync(instance, owner, MapSeed.Line(3.0570, 50.6390, 2, Day), visibility: Visibility.OwnerOnly);
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var migrator = db.GetService<IMigrator>();
            // Back to the materialized view of the previous migrations, then up again: the new table starts with every
            // public picture counted, not empty until the next change.
            await migrator.MigrateAsync("20261207155118_UploadSetIndexesPartial");
            Assert.Equal("m", await RelationKindAsync());
            await migrator.MigrateAsync();
        }
        Assert.Equal("r", await RelationKindAsync());
        await AssertGridIsExactAsync("the upgrade");
    }

    private async Task<string?> RelationKindAsync()
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT relkind::text FROM pg_class WHERE relname = 'picture_grid'", conn);
        return await cmd.ExecuteScalarAsync() as string;
    }

    private async Task<int> CellCountAsync(int cell) =>
        (await ReadAsync($"SELECT id, nb_pictures, 0, 0 FROM picture_grid WHERE id = {cell}")).Select(r => r[1]).SingleOrDefault();

    private async Task AssertGridIsExactAsync(string after)
    {
        var expected = await ReadAsync(FullRecount);
        var stored = await ReadAsync(Stored);
        Assert.NotEmpty(expected);
        Assert.True(expected.Select(r => string.Join(',', r)).SequenceEqual(stored.Select(r => string.Join(',', r))),
            $"after {after}: expected [{string.Join("; ", expected.Select(r => string.Join(',', r)))}] stored [{string.Join("; ", stored.Select(r => string.Join(',', r)))}]");
    }

    private async Task ExecAsync(string sql, Guid id)
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("id", id);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<List<int[]>> ReadAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(instance.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<int[]>();
        while (await reader.ReadAsync())
        {
            rows.Add([reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3)]);
        }
        return rows;
    }
}
