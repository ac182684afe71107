using System.Net;
using NetVips;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Processing;

namespace Panoramax.IntegrationTests.Blur;

/// <summary>
/// A worker host whose pictures are published unblurred (blurring turned off by the admin), so a region is clearly
/// unblurred before a correction; with the owner, another contributor and the admin logged in through the real routes.
/// </summary>
public class BlurCorrectionInstance : WorkerInstance
{
    /// <summary>A 3840×2160 street scene (Sony action cam, upright).</summary>
    public static string Street => TestPaths.SharedData("b-mapillary-tools", "DSC00001.JPG");

    public Guid OwnerId { get; private set; }
    public HttpClient Owner { get; private set; } = null!;
    public HttpClient Other { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Blurring:Enabled", "false"),
        new("Panoramax:Jobs:RetryBaseDelay", "00:00:00.100"),
        new("Panoramax:Jobs:MaxAttempts", "3"),
    ];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (OwnerId, Owner) = await TestAuth.UserAsync(this, "owner");
        (_, Other) = await TestAuth.UserAsync(this, "other");
        Admin = await TestAuth.AdminAsync(this);
    }

    /// <summary>Uploads <paramref name="path"/> as the owner and waits until it is published; returns (sequence, picture).</summary>
    public async Task<(Guid Sequence, Guid Picture)> PublishAsync(string path)
    {
        var set = await Uploads.UploadSetAsync(OwnerId, "Street");
        var picture = await Uploads.AddFileAsync(set, path);
        await Uploads.CompleteAsync(set);
        await WaitReadyAsync(picture);
        await using var cmd = Uploads.DataSource.CreateCommand("SELECT sequence_id FROM pictures WHERE id = $1");
        cmd.Parameters.Add(new() { Value = picture });
        return ((Guid)(await cmd.ExecuteScalarAsync())!, picture);
    }

    public Task WaitReadyAsync(Guid picture) =>
        UploadWriter.WaitUntilAsync(async () => await StatusAsync(picture) == "ready", TimeSpan.FromSeconds(120), $"picture {picture} ready");

    public async Task<string> StatusAsync(Guid picture)
    {
        await using var cmd = Uploads.DataSource.CreateCommand("SELECT status FROM pictures WHERE id = $1");
        cmd.Parameters.Add(new() { Value = picture });
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Queues the picture's correction job to run only in an hour: a correction sent meanwhile joins that job (one queued
    /// job per kind and target) instead of running at once, so a test can look at the picture while it is pending.
    /// </summary>
    public async Task HoldCorrectionJobAsync(Guid picture)
    {
        await using var cmd = Uploads.DataSource.CreateCommand("""
            INSERT INTO jobs (kind, target_id, state, attempts, run_after, created_at, updated_at)
            VALUES ('reblur_picture', $1, 'queued', 0, now() + interval '1 hour', now(), now())
            """);
        cmd.Parameters.Add(new() { Value = picture });
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task ReleaseCorrectionJobAsync(Guid picture)
    {
        await using (var cmd = Uploads.DataSource.CreateCommand("UPDATE jobs SET run_after = now() WHERE kind = 'reblur_picture' AND target_id = $1 AND state = 'queued'"))
        {
            cmd.Parameters.Add(new() { Value = picture });
            await cmd.ExecuteNonQueryAsync();
        }
        await using var notify = Uploads.DataSource.CreateCommand("SELECT pg_notify('panoramax_jobs', 'reblur_picture')");
        await notify.ExecuteNonQueryAsync();
    }

    public async Task<long> VersionAsync(Guid picture)
    {
        await using var cmd = Uploads.DataSource.CreateCommand("SELECT version FROM pictures WHERE id = $1");
        cmd.Parameters.Add(new() { Value = picture });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<List<string>> ChangeLogOpsAsync(Guid entity)
    {
        await using var cmd = Uploads.DataSource.CreateCommand("SELECT op FROM change_log WHERE entity_id = $1 ORDER BY seq");
        cmd.Parameters.Add(new() { Value = entity });
        var ops = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            ops.Add(r.GetString(0));
        }
        return ops;
    }

    /// <summary>GET of a picture file: status, ETag and bytes.</summary>
    public static async Task<(HttpStatusCode Status, string? ETag, byte[] Body)> FileAsync(HttpClient client, Guid picture, string file)
    {
        using var response = await client.GetAsync($"/api/pictures/{picture}/{file}");
        return (response.StatusCode, response.Headers.ETag?.Tag, await response.Content.ReadAsByteArrayAsync());
    }
}

/// <summary>The same with real blurring (the shared ONNX models) and originals kept for re-processing.</summary>
public sealed class KeptOriginalCorrectionInstance : BlurCorrectionInstance
{
    protected override IEnumerable<KeyValuePair<string, string>> WorkerSettings =>
    [
        new("Panoramax:Blurring:ModelDirectory", Path.Combine(TestPaths.Shared, "models")),
        new("Panoramax:Blurring:KeepOriginal", "true"),
        new("Panoramax:Jobs:RetryBaseDelay", "00:00:00.100"),
        new("Panoramax:Jobs:MaxAttempts", "3"),
    ];
}

/// <summary>Grey-level measures of a region of a JPEG, computed by libvips.</summary>
public static class RegionMeasure
{
    private static readonly Image Laplacian = Image.NewFromArray(new[,] { { 0, -1, 0 }, { -1, 4, -1 }, { 0, -1, 0 } });

    /// <summary>Mean absolute Laplacian inside the box: high for detail, near zero once blurred.</summary>
    public static double Detail(byte[] jpeg, (int X1, int Y1, int X2, int Y2) box)
    {
        using var grey = Grey(jpeg);
        using var crop = grey.Crop(box.X1, box.Y1, box.X2 - box.X1, box.Y2 - box.Y1);
        using var edges = crop.Conv(Laplacian, precision: Enums.Precision.Float);
        using var abs = edges.Abs();
        return abs.Avg();
    }

    public static double Variance(byte[] jpeg, (int X1, int Y1, int X2, int Y2) box)
    {
        using var grey = Grey(jpeg);
        using var crop = grey.Crop(box.X1, box.Y1, box.X2 - box.X1, box.Y2 - box.Y1);
        var sd = crop.Deviate();
        return sd * sd;
    }

    /// <summary>Mean absolute grey difference between two pictures of the same size outside the box.</summary>
    public static double MeanChangeOutside(byte[] before, byte[] after, (int X1, int Y1, int X2, int Y2) box)
    {
        using var a = Grey(before);
        using var b = Grey(after);
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        using var delta = a - b;
        using var diff = delta.Abs();
        using var inside = diff.Crop(box.X1, box.Y1, box.X2 - box.X1, box.Y2 - box.Y1);
        var all = diff.Avg() * diff.Width * diff.Height;
        var inBox = inside.Avg() * inside.Width * inside.Height;
        return (all - inBox) / ((diff.Width * (double)diff.Height) - (inside.Width * (double)inside.Height));
    }

    public static (int Width, int Height) Size(byte[] jpeg)
    {
        using var image = Image.NewFromBuffer(jpeg);
        return (image.Width, image.Height);
    }

    private static Image Grey(byte[] jpeg)
    {
        using var image = Image.NewFromBuffer(jpeg);
        using var bw = image.Colourspace(Enums.Interpretation.Bw);
        using var band = bw.ExtractBand(0);
        return band.Cast(Enums.BandFormat.Float);
    }
}
