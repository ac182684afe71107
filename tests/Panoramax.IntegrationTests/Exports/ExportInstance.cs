using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Exports;

/// <summary>
/// Alice with two sequences — a public one whose title is hostile to CSV, with HD files only, and an owner-only one
/// whose originals were kept — plus a deleted picture; Bob with one sequence of his own. Real JPEGs in the
/// instance's filesystem store; the real job worker runs the exports.
/// </summary>
public class ExportInstance : TestInstance
{
    public const string HostileTitle = "=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\"\r\nsecond line";
    public const string HdFile = "DSCN0010.jpg";
    public const string OriginalFile = "DSCN0012.jpg";
    public const string BlurredFile = "DSCN0021.jpg";

    private Task<(Guid Id, JsonElement Status)>? _export;

    public Guid Alice { get; private set; }
    public HttpClient AliceClient { get; private set; } = null!;
    public Guid Bob { get; private set; }
    public HttpClient BobClient { get; private set; } = null!;
    public SeededSequence Public { get; private set; } = null!;
    public SeededSequence Hidden { get; private set; } = null!;
    public SeededSequence BobSequence { get; private set; } = null!;
    public Guid DeletedPicture { get; private set; }

    /// <summary>Every picture Alice's export must hold, with the shared file its bytes must equal.</summary>
    public Dictionary<Guid, string> ExpectedFiles { get; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (Alice, AliceClient) = await TestAuth.UserAsync(this, "alice");
        (Bob, BobClient) = await TestAuth.UserAsync(this, "bob");
        var day = new DateTimeOffset(2024, 6, 2, 10, 0, 0, TimeSpan.Zero);
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Public = await TestData.SequenceAsync(this, Alice, TestData.Walk(11.88, 43.467, day, 4), HostileTitle, createdAt: t0);
        Hidden = await TestData.SequenceAsync(this, Alice, TestData.Walk(11.89, 43.468, day.AddDays(1), 2), "Owner only walk", visibility: "owner-only", createdAt: t0.AddHours(1));
        BobSequence = await TestData.SequenceAsync(this, Bob, TestData.Walk(11.87, 43.466, day, 2), "Bob's walk", createdAt: t0.AddHours(2));

        var store = Services.GetRequiredService<IBlobStore>();
        var db = Services.GetRequiredService<NpgsqlDataSource>();
        DeletedPicture = Public.PictureIds[^1];
        await ExecAsync(db, "UPDATE pictures SET deleted_at = now(), status = 'deleted' WHERE id = $1", DeletedPicture);
        foreach (var id in Public.PictureIds.Concat(BobSequence.PictureIds))
        {
            await PutAsync(store, StorageKeys.Hd(id), HdFile);
            await ExecAsync(db, "UPDATE pictures SET hd_key = $2 WHERE id = $1", id, StorageKeys.Hd(id));
        }
        foreach (var id in Public.PictureIds.Where(i => i != DeletedPicture))
        {
            ExpectedFiles[id] = HdFile;
        }
        foreach (var id in Hidden.PictureIds)
        {
            await PutAsync(store, StorageKeys.Hd(id), BlurredFile);
            await PutAsync(store, StorageKeys.Original(id), OriginalFile);
            await ExecAsync(db, "UPDATE pictures SET hd_key = $2, original_key = $3 WHERE id = $1", id, StorageKeys.Hd(id), StorageKeys.Original(id));
            ExpectedFiles[id] = OriginalFile;
        }
    }

    /// <summary>Alice's first export, started once for the class and awaited until ready.</summary>
    public Task<(Guid Id, JsonElement Status)> AliceExportAsync() => _export ??= StartAndWaitAsync(AliceClient);

    public static async Task<(Guid Id, JsonElement Status)> StartAndWaitAsync(HttpClient client)
    {
        using var started = await client.PostAsync("/api/users/me/export", null);
        var text = await started.Content.ReadAsStringAsync();
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"POST export answered {(int)started.StatusCode}: {text}");
        var id = Guid.Parse(JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!);
        Assert.EndsWith($"/api/users/me/export/{id}", started.Headers.Location!.ToString(), StringComparison.Ordinal);
        return (id, await WaitReadyAsync(client, id));
    }

    /// <summary>Polls the export's status until it is ready (fails the test if it fails or takes over 90 s).</summary>
    public static async Task<JsonElement> WaitReadyAsync(HttpClient client, Guid id)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync($"/api/users/me/export/{id}");
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            var status = json.GetProperty("status").GetString();
            if (status == "ready")
            {
                return json;
            }
            Assert.True(status is "queued" or "running", $"export ended {status}: {json}");
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(90), $"export still {status} after 90 s: {json}");
            await Task.Delay(200);
        }
    }

    /// <summary>An export row with no job in the queue (as if its job was lost, or a worker was killed running it).</summary>
    public async Task<Guid> InsertExportAsync(Guid account, string state)
    {
        var id = Guid.NewGuid();
        await ExecAsync(Services.GetRequiredService<NpgsqlDataSource>(), """
            INSERT INTO account_exports (id, account_id, state, base_url, pictures_done, pictures_total, created_at, updated_at)
            VALUES ($1, $2, $3, $4, 0, 0, now(), now())
            """, id, account, state, BaseUrl.ToString().TrimEnd('/'));
        return id;
    }

    private static async Task PutAsync(IBlobStore store, string key, string sharedFile)
    {
        await using var file = File.OpenRead(TestPaths.SharedData("a-exif-samples-arezzo", sharedFile));
        await store.PutAsync(key, file, "image/jpeg", default);
    }

    private static async Task ExecAsync(NpgsqlDataSource db, string sql, params object[] values)
    {
        await using var cmd = db.CreateCommand(sql);
        foreach (var v in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        await cmd.ExecuteNonQueryAsync();
    }

    public override async Task DisposeAsync()
    {
        AliceClient?.Dispose();
        BobClient?.Dispose();
        await base.DisposeAsync();
    }
}
