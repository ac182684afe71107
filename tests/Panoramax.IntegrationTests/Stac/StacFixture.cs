using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Stac;

/// <summary>
/// An instance with a small, known catalogue: two public flat sequences in Arezzo, a public 360 sequence next
/// to them, a tagged sequence, an owner-only one, a not-yet-ready one and a deleted one.
/// </summary>
public class StacFixture : TestInstance
{
    public static readonly DateTimeOffset Day1 = new(2023, 5, 1, 10, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Day2 = new(2024, 6, 2, 10, 0, 0, TimeSpan.Zero);

    public Guid Alice { get; private set; }
    public Guid Bob { get; private set; }
    public SeededSequence Flat1 { get; private set; } = null!;
    public SeededSequence Flat2 { get; private set; } = null!;
    public SeededSequence Sphere { get; private set; } = null!;
    public SeededSequence Tagged { get; private set; } = null!;
    public SeededSequence Private { get; private set; } = null!;
    public SeededSequence Preparing { get; private set; } = null!;
    public SeededSequence Deleted { get; private set; } = null!;
    public Guid HiddenPicture { get; private set; }

    public IEnumerable<Guid> PublicSequences => [Flat1.Id, Flat2.Id, Sphere.Id, Tagged.Id];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Alice = await TestData.AccountAsync(this, "alice");
        Bob = await TestData.AccountAsync(this, "bob");
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Flat1 = await TestData.SequenceAsync(this, Alice, TestData.Walk(11.8800, 43.4670, Day1, 5), "Arezzo north", createdAt: t0);
        Flat2 = await TestData.SequenceAsync(this, Bob, TestData.Walk(11.8810, 43.4660, Day2, 4, heading: 225), "Arezzo south", createdAt: t0.AddHours(1));
        Sphere = await TestData.SequenceAsync(this, Alice, TestData.Walk(11.8801, 43.4671, Day2.AddHours(2), 3, kind: "equirectangular")
            .Select(p => p with { CameraMake = "GoPro", CameraModel = "Max", Width = 5760, Height = 2880 }).ToList(), "Arezzo 360", createdAt: t0.AddHours(2));
        Tagged = await TestData.SequenceAsync(this, Bob, TestData.Walk(2.35, 48.85, Day1, 2)
            .Select((p, i) => i == 0 ? p with { Semantics = """[{"key":"osm|traffic_sign","value":"yes"}]""" } : p).ToList(),
            "Paris", createdAt: t0.AddHours(3));
        Private = await TestData.SequenceAsync(this, Alice, TestData.Walk(11.8805, 43.4665, Day1, 2), "Alice private", visibility: "owner-only", createdAt: t0.AddHours(4));
        Preparing = await TestData.SequenceAsync(this, Alice, TestData.Walk(11.8806, 43.4666, Day1, 2)
            .Select(p => p with { Status = "waiting-for-process" }).ToList(), "Being processed", status: "preparing", createdAt: t0.AddHours(5));
        Deleted = await TestData.SequenceAsync(this, Bob, TestData.Walk(11.8807, 43.4667, Day1, 2), "Gone", createdAt: t0.AddHours(6));

        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand("UPDATE sequences SET status = 'deleted', deleted_at = now() WHERE id = @id; ", conn))
        {
            cmd.Parameters.AddWithValue("id", Deleted.Id);
            await cmd.ExecuteNonQueryAsync();
        }
        // The third picture of Flat1 is hidden by its owner: it must vanish from prev/next and search.
        HiddenPicture = Flat1.PictureIds[2];
        await using (var cmd = new NpgsqlCommand("UPDATE pictures SET visibility = 'owner-only' WHERE id = @id", conn))
        {
            cmd.Parameters.AddWithValue("id", HiddenPicture);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
