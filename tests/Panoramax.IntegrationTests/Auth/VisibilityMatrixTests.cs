using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;
using Panoramax.IntegrationTests.Pictures;

namespace Panoramax.IntegrationTests.Auth;

/// <summary>
/// One owner with three published one-picture sequences (anyone, logged-only, owner-only; the picture shares its
/// sequence's visibility), real files in storage, and a caller of each kind. Registration is closed, as GeoVisio
/// requires for logged-only to be offered. Role <c>api</c>: no worker touches the seeded rows.
/// </summary>
public sealed class VisibilityMatrixInstance : TestInstance
{
    public const double Lon = 11.8805;
    public const double Lat = 43.4605;
    public static readonly string[] Visibilities = ["anyone", "logged-only", "owner-only"];

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Role", "api"),
        new("Panoramax:Auth:RegistrationIsOpen", "false"),
    ];

    public Guid Owner { get; private set; }
    public Dictionary<string, SeededSequence> Sequences { get; } = [];
    public Dictionary<string, HttpClient> Viewers { get; } = [];
    public HttpClient Other => Viewers["other"];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var (owner, ownerClient) = await TestAuth.UserAsync(this, "owner");
        Owner = owner;
        var (other, otherClient) = await TestAuth.UserAsync(this, "other");
        Viewers["anonymous"] = TestAuth.CookieClient(this);
        Viewers["other"] = otherClient;
        // The same other account through the browser session cookie instead of a Bearer token.
        Viewers["other-cookie"] = await TestAuth.SessionAsync(this, $"{other:N}@tests.invalid", TestAuth.PasswordOf("other"));
        Viewers["owner"] = ownerClient;
        Viewers["admin"] = await TestAuth.AdminAsync(this);

        var store = Services.GetRequiredService<IBlobStore>();
        var day = new DateTimeOffset(2024, 6, 1, 10, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < Visibilities.Length; i++)
        {
            var v = Visibilities[i];
            // ~25 m apart: all in one z15 tile.
            var picture = new SeedPicture(Lon + i * 0.0003, Lat, day.AddMinutes(i), 90) { Visibility = v };
            var seq = await TestData.SequenceAsync(this, owner, [picture], title: $"matrix {v}", visibility: v);
            Sequences[v] = seq;
            var id = seq.PictureIds[0];
            await using (var conn = new NpgsqlConnection(ConnectionString))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("UPDATE pictures SET hd_key = @hd, sd_key = @sd, thumb_key = @thumb WHERE id = @id", conn);
                cmd.Parameters.AddWithValue("hd", StorageKeys.Hd(id));
                cmd.Parameters.AddWithValue("sd", StorageKeys.Sd(id));
                cmd.Parameters.AddWithValue("thumb", StorageKeys.Thumb(id));
                cmd.Parameters.AddWithValue("id", id);
                await cmd.ExecuteNonQueryAsync();
            }
            foreach (var key in new[] { StorageKeys.Hd(id), StorageKeys.Sd(id), StorageKeys.Thumb(id) })
            {
                await using var file = File.OpenRead(PictureFilesInstance.SharedJpeg("DSCN0021.jpg"));
                await store.PutAsync(key, file, "image/jpeg", default);
            }
        }
    }

    public override async Task DisposeAsync()
    {
        foreach (var client in Viewers.Values)
        {
            client.Dispose();
        }
        await base.DisposeAsync();
    }
}

/// <summary>
/// Issue 6's visibility matrix: every read route × every kind of caller × every visibility. A picture must appear
/// exactly where the rule says (presence) and nowhere else (absence: not even its id in a list, a tile or a link).
/// </summary>
public sealed class VisibilityMatrixTests(VisibilityMatrixInstance instance) : IClassFixture<VisibilityMatrixInstance>
{
    public static readonly string[] Routes =
    [
        "item", "picture", "items", "collection", "collections", "search-bbox", "search-ids", "search-collections",
        "tile", "user-tile", "hd", "sd", "thumb", "collection-thumb", "rss", "user-collection", "user-catalog",
    ];

    public static readonly string[] ViewerKinds = ["anonymous", "other", "other-cookie", "owner", "admin"];

    public static TheoryData<string, string, string> Matrix()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var route in Routes)
        {
            foreach (var viewer in ViewerKinds)
            {
                foreach (var visibility in VisibilityMatrixInstance.Visibilities)
                {
                    data.Add(route, viewer, visibility);
                }
            }
        }
        return data;
    }

    /// <summary>The expected table, written out rather than computed from the policy under test.</summary>
    private static bool ShouldSee(string viewer, string visibility) => (viewer, visibility) switch
    {
        (_, "anyone") => true,
        ("anonymous", _) => false,
        ("other" or "other-cookie", "logged-only") => true,
        ("other" or "other-cookie", _) => false,
        ("owner" or "admin", _) => true,
        _ => throw new ArgumentOutOfRangeException(nameof(viewer)),
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Read_route_shows_the_picture_exactly_to_whom_its_visibility_allows(string route, string viewer, string visibility)
    {
        var seq = instance.Sequences[visibility];
        var pic = seq.PictureIds[0];
        var (seen, body, cache) = await ProbeAsync(instance.Viewers[viewer], route, seq.Id, pic);
        if (ShouldSee(viewer, visibility))
        {
            Assert.True(seen, $"{viewer} should see the {visibility} picture on {route}; got: {Excerpt(body)}");
            if (visibility != "anyone")
            {
                // A shared cache must not keep an answer that holds a non-public picture and hand it to someone else.
                Assert.DoesNotContain("public", cache ?? "", StringComparison.OrdinalIgnoreCase);
            }
        }
        else
        {
            Assert.False(seen, $"{viewer} must not see the {visibility} picture on {route}");
            // Absence means no trace at all: neither id anywhere in what came back.
            Assert.DoesNotContain(pic.ToString(), body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(seq.Id.ToString(), body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("anyone", HttpStatusCode.Forbidden)]
    [InlineData("logged-only", HttpStatusCode.Forbidden)]
    // The other user cannot see it at all: the route does not reveal that it exists.
    [InlineData("owner-only", HttpStatusCode.NotFound)]
    public async Task Another_user_cannot_change_or_delete_the_owners_sequence_or_picture(string visibility, HttpStatusCode expected)
    {
        var seq = instance.Sequences[visibility];
        var pic = seq.PictureIds[0];
        using (var patch = await instance.Other.PatchAsJsonAsync($"/api/collections/{seq.Id}", new { title = "hijacked" }))
        {
            Assert.Equal(expected, patch.StatusCode);
        }
        using (var patchItem = await instance.Other.PatchAsJsonAsync($"/api/collections/{seq.Id}/items/{pic}", new { heading = 12 }))
        {
            Assert.Equal(expected, patchItem.StatusCode);
        }
        using (var deleteItem = await instance.Other.DeleteAsync($"/api/collections/{seq.Id}/items/{pic}"))
        {
            Assert.Equal(expected, deleteItem.StatusCode);
        }
        using (var deleteSeq = await instance.Other.DeleteAsync($"/api/collections/{seq.Id}"))
        {
            Assert.Equal(expected, deleteSeq.StatusCode);
        }
        // Nothing changed: the owner still sees the sequence with its title and its picture.
        var owner = instance.Viewers["owner"];
        var collection = await owner.GetStringAsync($"/api/collections/{seq.Id}");
        Assert.Contains($"matrix {visibility}", collection, StringComparison.Ordinal);
        Assert.DoesNotContain("hijacked", collection, StringComparison.Ordinal);
        using var item = await owner.GetAsync($"/api/collections/{seq.Id}/items/{pic}");
        Assert.Equal(HttpStatusCode.OK, item.StatusCode);
    }

    [Theory]
    [InlineData("anyone")]
    [InlineData("owner-only")]
    public async Task Anonymous_writes_are_refused_as_unauthenticated(string visibility)
    {
        var seq = instance.Sequences[visibility];
        var anonymous = instance.Viewers["anonymous"];
        using var patch = await anonymous.PatchAsJsonAsync($"/api/collections/{seq.Id}", new { title = "hijacked" });
        Assert.Equal(HttpStatusCode.Unauthorized, patch.StatusCode);
        using var delete = await anonymous.DeleteAsync($"/api/collections/{seq.Id}/items/{seq.PictureIds[0]}");
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
    }

    /// <summary>Whether the route shows the picture (or its sequence) to this client, and the text it answered.</summary>
    private async Task<(bool Seen, string Body, string? CacheControl)> ProbeAsync(HttpClient client, string route, Guid seq, Guid pic)
    {
        var (tx, ty) = Mvt.TileOf(VisibilityMatrixInstance.Lon, VisibilityMatrixInstance.Lat, 15);
        var owner = instance.Owner;
        const string bbox = "11.87,43.45,11.89,43.47";
        switch (route)
        {
            case "item": return Seen(await GetAsync(client, $"/api/collections/{seq}/items/{pic}"), pic);
            case "picture": return Seen(await GetAsync(client, $"/api/pictures/{pic}"), pic);
            case "items": return Seen(await GetAsync(client, $"/api/collections/{seq}/items"), pic);
            case "collection": return Seen(await GetAsync(client, $"/api/collections/{seq}"), seq);
            case "collections": return Seen(await GetAsync(client, "/api/collections?limit=1000"), seq);
            case "search-bbox": return Seen(await GetAsync(client, $"/api/search?bbox={bbox}&limit=100"), pic);
            case "search-ids": return Seen(await GetAsync(client, $"/api/search?ids={pic}"), pic);
            case "search-collections": return Seen(await GetAsync(client, $"/api/search?collections={seq}"), pic);
            case "rss": return Seen(await GetAsync(client, "/api/collections?format=rss"), seq);
            case "user-collection": return Seen(await GetAsync(client, $"/api/users/{owner}/collection"), seq);
            case "user-catalog": return Seen(await GetAsync(client, $"/api/users/{owner}/catalog/"), seq);
            case "tile": return await TileAsync(client, $"/api/map/15/{tx}/{ty}.mvt", pic);
            case "user-tile": return await TileAsync(client, $"/api/users/{owner}/map/15/{tx}/{ty}.mvt", pic);
            case "hd" or "sd" or "thumb": return await FileAsync(client, $"/api/pictures/{pic}/{route}.jpg");
            case "collection-thumb": return await FileAsync(client, $"/api/collections/{seq}/thumb.jpg");
            default: throw new ArgumentOutOfRangeException(nameof(route));
        }
    }

    private static (bool, string, string?) Seen((HttpStatusCode Status, string Body, string? Cache) r, Guid id) =>
        (r.Status == HttpStatusCode.OK && r.Body.Contains(id.ToString(), StringComparison.OrdinalIgnoreCase), r.Body, r.Cache);

    /// <summary>A GET that may answer 200, or 403/404 for what the caller may not see; never anything else. Error bodies count as empty (they may echo the id asked for).</summary>
    private static async Task<(HttpStatusCode Status, string Body, string? Cache)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.Forbidden,
            $"GET {path} answered {(int)response.StatusCode}: {Excerpt(text)}");
        return (response.StatusCode, response.StatusCode == HttpStatusCode.OK ? text : "", response.Headers.CacheControl?.ToString());
    }

    private static async Task<(bool, string, string?)> TileAsync(HttpClient client, string path, Guid pic)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var layers = bytes.Length == 0 ? [] : Mvt.Decode(bytes);
        // Every string property of every feature: ids, and the sequence lists pictures carry.
        var text = string.Join("\n", layers.SelectMany(l => l.Value.SelectMany(f => f.Properties.Values.OfType<string>().Select(v => $"{l.Key}:{v}"))));
        var pictureThere = layers.TryGetValue("pictures", out var pictures) && pictures.Any(f => f.Properties.TryGetValue("id", out var id) && id as string == pic.ToString());
        // A one-picture sequence has no line to draw; its id may still appear on the picture (absence is checked on the text).
        return (pictureThere, text, response.Headers.CacheControl?.ToString());
    }

    private static async Task<(bool, string, string?)> FileAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.Forbidden,
            $"GET {path} answered {(int)response.StatusCode}");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (false, "", null);
        }
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(bytes.Length > 2 && bytes[0] == 0xFF && bytes[1] == 0xD8, $"{path} is not a JPEG");
        return (true, "", response.Headers.CacheControl?.ToString());
    }

    private static string Excerpt(string text) => text.Length > 400 ? text[..400] + "…" : text;
}
