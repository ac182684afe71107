using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;
using Panoramax.Server.Map;

namespace Panoramax.IntegrationTests.Manage;

/// <summary>
/// An instance with an owner, another contributor and the admin, all logged in through the real routes. Tests seed
/// their own sequences, each in its own spot (0.05° apart) so that tiles and searches of one test never see another's.
/// </summary>
public sealed class ManageFixture : TestInstance
{
    private static int _spot;

    public static readonly DateTimeOffset Day = new(2024, 6, 1, 10, 0, 0, TimeSpan.Zero);

    public Guid OwnerId { get; private set; }
    public HttpClient Owner { get; private set; } = null!;
    public Guid OtherId { get; private set; }
    public HttpClient Other { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Tiles are not cached server-side between requests only if the cache is invalidated; keep the default cache on to prove it is.</summary>
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Panoramax:Map:TileMaxAge", "00:10:00")];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (OwnerId, Owner) = await TestAuth.UserAsync(this, "owner");
        (OtherId, Other) = await TestAuth.UserAsync(this, "other");
        Admin = await TestAuth.AdminAsync(this);
    }

    /// <summary>A fresh place for one test: (lon, lat) of its first picture.</summary>
    public static (double Lon, double Lat) NewSpot()
    {
        var i = Interlocked.Increment(ref _spot);
        return (10 + i * 0.05, 45 + (i % 7) * 0.05);
    }

    public async Task<SeededSequence> SeedAsync(int count, Guid? owner = null, (double Lon, double Lat)? at = null, DateTimeOffset? start = null)
    {
        var (lon, lat) = at ?? NewSpot();
        return await TestData.SequenceAsync(this, owner ?? OwnerId, TestData.Walk(lon, lat, start ?? Day, count), "Managed");
    }

    // --- what the public routes say -----------------------------------------------------------------------------

    public static async Task<JsonElement> JsonAsync(HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<List<string>> ItemIdsAsync(HttpClient client, Guid sequence)
    {
        var json = await JsonAsync(client, $"/api/collections/{sequence}/items");
        return json.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
    }

    public static async Task<List<string>> SearchAsync(HttpClient client, (double Lon, double Lat) at)
    {
        var bbox = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{at.Lon - 0.01},{at.Lat - 0.01},{at.Lon + 0.01},{at.Lat + 0.01}");
        var json = await JsonAsync(client, $"/api/search?bbox={bbox}&limit=100");
        return json.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
    }

    /// <summary>Ids of the pictures (z15) and sequences (z14) the general map shows around a point.</summary>
    public static async Task<(HashSet<string> Pictures, HashSet<string> Sequences)> TilesAsync(HttpClient client, (double Lon, double Lat) at)
    {
        var pictures = new HashSet<string>();
        var sequences = new HashSet<string>();
        foreach (var z in new[] { 14, 15 })
        {
            var (x, y) = Mvt.TileOf(at.Lon, at.Lat, z);
            using var response = await client.GetAsync($"/api/map/{z}/{x}/{y}.mvt");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var layers = Mvt.Decode(await response.Content.ReadAsByteArrayAsync());
            foreach (var f in layers.GetValueOrDefault("pictures") ?? [])
            {
                pictures.Add(f.Properties["id"].ToString()!);
            }
            foreach (var f in layers.GetValueOrDefault("sequences") ?? [])
            {
                sequences.Add(f.Properties["id"].ToString()!);
            }
        }
        return (pictures, sequences);
    }

    /// <summary>
    /// The low-zoom grid's count for the 0.1° cell of a point, as the z3 tile shows it, once every noted change is
    /// counted and the cached tiles are dropped (what the tile shows after an edit must come from the edit alone).
    /// </summary>
    public async Task<long> GridCountAsync((double Lon, double Lat) at, bool settleFirst = false)
    {
        if (settleFirst)
        {
            await MapSeed.RefreshGridAsync(this);
            Services.GetRequiredService<TileCache>().Invalidate();
        }
        var cell = ((long)(Math.Floor(at.Lon * 10) + 1800) * 1800) + (long)Math.Floor(at.Lat * 10) + 900;
        var (x, y) = Mvt.TileOf(at.Lon, at.Lat, 3);
        var layers = Mvt.Decode(await Http.GetByteArrayAsync($"/api/map/3/{x}/{y}.mvt"));
        return (layers.GetValueOrDefault("grid") ?? [])
            .Where(g => Convert.ToInt64(g.Properties["id"], System.Globalization.CultureInfo.InvariantCulture) == cell)
            .Select(g => Convert.ToInt64(g.Properties["nb_pictures"], System.Globalization.CultureInfo.InvariantCulture))
            .SingleOrDefault();
    }

    public async Task<string> RssAsync()
    {
        using var response = await Http.GetAsync("/api/collections?format=rss&limit=1000");
        return await response.Content.ReadAsStringAsync();
    }

    public async Task<List<(string Op, long Version)>> ChangeLogAsync(Guid entity)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT op, entity_version FROM change_log WHERE entity_id = @id ORDER BY seq", conn);
        cmd.Parameters.AddWithValue("id", entity);
        var list = new List<(string, long)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            list.Add((r.GetString(0), r.GetInt64(1)));
        }
        return list;
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public static async Task<HttpResponseMessage> SendJsonAsync(HttpClient client, HttpMethod method, string path, object body) =>
        await client.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) });

    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
