using System.Diagnostics;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace Panoramax.Bench;

/// <summary>
/// Seeds synthetic sequences and pictures with binary COPY: pictures every ~5 m along random walks,
/// a third of them 360°, four camera models, spread over metropolitan France, all ready and public.
/// </summary>
internal static class Seeder
{
    private static readonly GeometryFactory Geo = new(new PrecisionModel(), 4326);
    private static readonly string[] Cameras = ["GoPro Max", "Ricoh Theta X", "Canon EOS 5D", "Xiaomi 12"];
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public sealed record Seeded(Guid InstanceId, Guid AccountId, int Pictures, int Sequences, TimeSpan Elapsed, IReadOnlyList<SequencePlan> Plan);

    public sealed record SequencePlan(Guid Id, bool Is360, string Camera, DateTimeOffset Start, Coordinate[] Coords, double[] Headings);

    public const string PictureColumns = """
        id, origin_instance_id, account_id, sequence_id, rank, location, captured_at, heading, heading_from_user,
        kind, camera_make, camera_model, field_of_view_deg, width, height, content_sha256, original_file_name,
        original_file_size, status, visibility, blurred, blur_source, exif, semantics, process_attempts,
        created_at, updated_at, version
        """;

    public static IReadOnlyList<SequencePlan> Plan(int pictures, int sequences, int seed = 42)
    {
        var rng = new Random(seed);
        var perSequence = pictures / sequences;
        var plan = new List<SequencePlan>(sequences);
        var written = 0;
        for (var s = 0; s < sequences; s++)
        {
            var count = s == sequences - 1 ? pictures - written : perSequence;
            written += count;
            double lon = -4.5 + rng.NextDouble() * 12, lat = 43 + rng.NextDouble() * 8;
            var heading = rng.NextDouble() * 360;
            var coords = new Coordinate[count];
            var headings = new double[count];
            for (var i = 0; i < count; i++)
            {
                heading = (heading + (rng.NextDouble() - 0.5) * 20 + 360) % 360;
                lon += Math.Sin(heading * Math.PI / 180) * 5 / (111_320 * Math.Cos(lat * Math.PI / 180));
                lat += Math.Cos(heading * Math.PI / 180) * 5 / 110_540;
                coords[i] = new Coordinate(lon, lat);
                headings[i] = Math.Round(heading, 1);
            }
            plan.Add(new SequencePlan(NewId(), rng.Next(3) == 0, Cameras[rng.Next(Cameras.Length)],
                Now.AddDays(-rng.Next(3000)).AddSeconds(rng.Next(86_400)), coords, headings));
        }
        return plan;
    }

    private static long _idClock;

    /// <summary>
    /// Record ids as an instance of ours makes them: UUIDv7, time-ordered, so records created one after the other have
    /// increasing ids (here one millisecond apart, in the order the plan is written). PANORAMAX_BENCH_IDS=random gives
    /// random v4 ids instead (what the runs recorded before 2026-12-07 05:30 used: every index insert lands on a random page).
    /// </summary>
    public static Guid NewId() => Environment.GetEnvironmentVariable("PANORAMAX_BENCH_IDS") == "random"
        ? Guid.NewGuid()
        : Guid.CreateVersion7(Now.AddYears(-5).AddMilliseconds(Interlocked.Increment(ref _idClock)));

    public static async Task<Seeded> SeedAsync(NpgsqlDataSource db, IReadOnlyList<SequencePlan> plan)
    {
        var accountId = Guid.NewGuid();
        await using (var cmd = db.CreateCommand("""
            INSERT INTO instances (id, name, is_self, trust, last_seq, created_at, updated_at)
            SELECT $1, 'bench', true, 'trusted', 0, $2, $2 WHERE NOT EXISTS (SELECT 1 FROM instances WHERE is_self)
            """))
        {
            cmd.Parameters.Add(new() { Value = Guid.NewGuid() });
            cmd.Parameters.Add(new() { Value = Now });
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var cmd = db.CreateCommand("""
            INSERT INTO accounts (id, origin_instance_id, name, role, is_default, default_visibility, failed_login_count, created_at, updated_at)
            VALUES ($1, (SELECT id FROM instances WHERE is_self), 'bench', 'user', false, 'anyone', 0, $2, $2)
            """))
        {
            cmd.Parameters.Add(new() { Value = accountId });
            cmd.Parameters.Add(new() { Value = Now });
            await cmd.ExecuteNonQueryAsync();
        }
        Guid instanceId;
        await using (var cmd = db.CreateCommand("SELECT id FROM instances WHERE is_self"))
        {
            instanceId = (Guid)(await cmd.ExecuteScalarAsync())!;
        }

        var sw = Stopwatch.StartNew();
        await using var conn = await db.OpenConnectionAsync();
        await using (var seqs = await conn.BeginBinaryImportAsync("""
            COPY sequences (id, origin_instance_id, account_id, title, status, visibility, sorted_by, upload_software, semantics,
                            geometry, bbox, min_captured_at, max_captured_at, picture_count, length_km, kind, camera_model,
                            created_at, updated_at, version)
            FROM STDIN (FORMAT BINARY)
            """))
        {
            var n = 0;
            foreach (var s in plan)
            {
                var line = Geo.CreateLineString(s.Coords.Length >= 2 ? s.Coords : [s.Coords[0], s.Coords[0]]);
                await seqs.StartRowAsync();
                await seqs.WriteAsync(s.Id, NpgsqlDbType.Uuid);
                await seqs.WriteAsync(instanceId, NpgsqlDbType.Uuid);
                await seqs.WriteAsync(accountId, NpgsqlDbType.Uuid);
                await seqs.WriteAsync($"Sequence {++n}", NpgsqlDbType.Varchar);
                await seqs.WriteAsync("ready", NpgsqlDbType.Text);
                await seqs.WriteAsync("anyone", NpgsqlDbType.Text);
                await seqs.WriteAsync("+gpsdate", NpgsqlDbType.Varchar);
                await seqs.WriteAsync("cli", NpgsqlDbType.Varchar);
                await seqs.WriteAsync("[]", NpgsqlDbType.Jsonb);
                await seqs.WriteAsync(line, NpgsqlDbType.Geometry);
                await seqs.WriteAsync(line.Envelope is Polygon p ? p : Geo.CreatePolygon([line.Coordinate, line.Coordinate, line.Coordinate, line.Coordinate]), NpgsqlDbType.Geometry);
                await seqs.WriteAsync(s.Start, NpgsqlDbType.TimestampTz);
                await seqs.WriteAsync(s.Start.AddSeconds((s.Coords.Length - 1) * 2), NpgsqlDbType.TimestampTz);
                await seqs.WriteAsync(s.Coords.Length, NpgsqlDbType.Integer);
                await seqs.WriteAsync(s.Coords.Length * 0.005, NpgsqlDbType.Double);
                await seqs.WriteAsync(s.Is360 ? "equirectangular" : "flat", NpgsqlDbType.Text);
                await seqs.WriteAsync(s.Camera, NpgsqlDbType.Varchar);
                await seqs.WriteAsync(Now, NpgsqlDbType.TimestampTz);
                await seqs.WriteAsync(Now, NpgsqlDbType.TimestampTz);
                await seqs.WriteAsync(1L, NpgsqlDbType.Bigint);
            }
            await seqs.CompleteAsync();
        }
        await CopyPicturesAsync(conn, "pictures", plan, instanceId, accountId);
        return new Seeded(instanceId, accountId, plan.Sum(s => s.Coords.Length), plan.Count, sw.Elapsed, plan);
    }

    /// <summary>Writes one row per planned picture into <paramref name="table"/> (pictures, or a bare copy for the baseline).</summary>
    public static async Task CopyPicturesAsync(NpgsqlConnection conn, string table, IReadOnlyList<SequencePlan> plan, Guid instanceId, Guid accountId)
    {
        var hash = new byte[32];
        await using var pics = await conn.BeginBinaryImportAsync($"COPY {table} ({PictureColumns}) FROM STDIN (FORMAT BINARY)");
        foreach (var s in plan)
        {
            for (var i = 0; i < s.Coords.Length; i++)
            {
                Random.Shared.NextBytes(hash);
                await pics.StartRowAsync();
                await pics.WriteAsync(NewId(), NpgsqlDbType.Uuid);
                await pics.WriteAsync(instanceId, NpgsqlDbType.Uuid);
                await pics.WriteAsync(accountId, NpgsqlDbType.Uuid);
                await pics.WriteAsync(s.Id, NpgsqlDbType.Uuid);
                await pics.WriteAsync(i + 1, NpgsqlDbType.Integer);
                await pics.WriteAsync(Geo.CreatePoint(s.Coords[i]), NpgsqlDbType.Geometry);
                await pics.WriteAsync(s.Start.AddSeconds(i * 2), NpgsqlDbType.TimestampTz);
                await pics.WriteAsync(s.Headings[i], NpgsqlDbType.Double);
                await pics.WriteAsync(true, NpgsqlDbType.Boolean);
                await pics.WriteAsync(s.Is360 ? "equirectangular" : "flat", NpgsqlDbType.Text);
                await pics.WriteAsync(s.Camera.Split(' ')[0], NpgsqlDbType.Varchar);
                await pics.WriteAsync(s.Camera, NpgsqlDbType.Varchar);
                await pics.WriteAsync(s.Is360 ? 360.0 : 70.0, NpgsqlDbType.Double);
                await pics.WriteAsync(s.Is360 ? 5760 : 4000, NpgsqlDbType.Integer);
                await pics.WriteAsync(s.Is360 ? 2880 : 3000, NpgsqlDbType.Integer);
                await pics.WriteAsync(hash, NpgsqlDbType.Bytea);
                await pics.WriteAsync($"IMG_{i:D5}.jpg", NpgsqlDbType.Varchar);
                await pics.WriteAsync(3_000_000L, NpgsqlDbType.Bigint);
                await pics.WriteAsync("ready", NpgsqlDbType.Text);
                await pics.WriteAsync("anyone", NpgsqlDbType.Text);
                await pics.WriteAsync(true, NpgsqlDbType.Boolean);
                await pics.WriteAsync("instance", NpgsqlDbType.Text);
                await pics.WriteAsync("{}", NpgsqlDbType.Jsonb);
                await pics.WriteAsync("[]", NpgsqlDbType.Jsonb);
                await pics.WriteAsync(1, NpgsqlDbType.Integer);
                await pics.WriteAsync(Now, NpgsqlDbType.TimestampTz);
                await pics.WriteAsync(Now, NpgsqlDbType.TimestampTz);
                await pics.WriteAsync(1L, NpgsqlDbType.Bigint);
            }
        }
        await pics.CompleteAsync();
    }
}
