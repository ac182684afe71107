using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Web;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Federation.Legacy;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;
using WireMock.Server;

namespace Panoramax.FederationTests;

/// <summary>
/// An aggregator (role <c>aggregator</c>) peered with a real instance and harvesting eight fake legacy GeoVisio
/// instances (one per scenario, so their states and circuit breakers do not mix).
/// </summary>
public sealed class AggregatorNetwork : IAsyncLifetime
{
    public WireMockServer LegacyServer { get; } = WireMockServer.Start();
    public FederatedInstance Alpha { get; } = new("alpha");
    public FederatedInstance Aggregator { get; }
    public LegacyGeoVisio Walks { get; }
    public LegacyGeoVisio Deletions { get; }
    public LegacyGeoVisio Failing { get; }
    public LegacyGeoVisio Malformed { get; }
    public LegacyGeoVisio Clashing { get; }
    public LegacyGeoVisio Unstorable { get; }
    public LegacyGeoVisio Wandering { get; }
    public LegacyGeoVisio Endless { get; }
    /// <summary>Not in the configuration: an admin adds it through the API.</summary>
    public LegacyGeoVisio Added { get; }
    /// <summary>Pages read per run and per collection here (small, so a test passes it with a few pages).</summary>
    public const int MaxPages = 3;
    /// <summary>The most bytes the aggregator reads of one answer here (small, so a test can pass it cheaply).</summary>
    public const int MaxAnswerBytes = 64 * 1024;

    private readonly int _sourceCount;

    public AggregatorNetwork()
    {
        Walks = new(LegacyServer, "walks");
        Deletions = new(LegacyServer, "deletions");
        Failing = new(LegacyServer, "failing");
        Malformed = new(LegacyServer, "malformed");
        Clashing = new(LegacyServer, "clashing");
        Unstorable = new(LegacyServer, "unstorable");
        Wandering = new(LegacyServer, "wandering");
        Endless = new(LegacyServer, "endless");
        Added = new(LegacyServer, "added");
        var sources = new[]
        {
            ("legacy-walks", Walks), ("legacy-deletions", Deletions), ("legacy-failing", Failing), ("legacy-malformed", Malformed), ("legacy-clashing", Clashing),
            ("legacy-unstorable", Unstorable), ("legacy-wandering", Wandering), ("legacy-endless", Endless),
        };
        _sourceCount = sources.Length;
        Aggregator = new("aggregator",
        [
            new("Panoramax:Role", "aggregator"),
            new("Panoramax:Aggregator:RetryDelay", "00:00:00.020"),
            new("Panoramax:Aggregator:MaxAnswerBytes", MaxAnswerBytes.ToString(CultureInfo.InvariantCulture)),
            new("Panoramax:Aggregator:MaxPages", MaxPages.ToString(CultureInfo.InvariantCulture)),
            .. sources.SelectMany((s, i) => new KeyValuePair<string, string>[]
            {
                new($"Panoramax:Aggregator:Sources:{i}:Url", s.Item2.Url),
                new($"Panoramax:Aggregator:Sources:{i}:Name", s.Item1),
                // Tests harvest explicitly; the schedule's first run (at start-up) finds nothing served yet.
                new($"Panoramax:Aggregator:Sources:{i}:Interval", "01:00:00"),
            }),
        ]);
    }

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Alpha.InitializeAsync(), Aggregator.InitializeAsync());
        await Network.ConnectAsync(Aggregator, Alpha);
        // Let the start-up harvests end before the tests serve anything.
        var scheduler = Aggregator.Services.GetRequiredService<LegacyHarvestScheduler>();
        await Network.WaitUntilAsync(async () => (await scheduler.ListAsync(CancellationToken.None)).Count(s => s.LastRunAt is not null) == _sourceCount, "the start-up harvests");
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(Alpha.DisposeAsync(), Aggregator.DisposeAsync());
        LegacyServer.Stop();
        LegacyServer.Dispose();
    }

    public static Guid SourceId(LegacyGeoVisio source) => LegacySourceOptions.IdOf(LegacySourceOptions.Normalize(source.Url));

    public Task<HarvestOutcome> HarvestAsync(LegacyGeoVisio source) =>
        Aggregator.Services.GetRequiredService<LegacyHarvester>().HarvestAsync(SourceId(source), CancellationToken.None);
}

public sealed class AggregatorTests(AggregatorNetwork net) : IClassFixture<AggregatorNetwork>
{
    private static readonly DateTimeOffset Day = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly FederatedInstance _agg = net.Aggregator;

    private static readonly LegacyCollection WalkOne = LegacyCollection.Walk("Quai de la Loire", 2.3700, 48.8850, Day, 3);
    private static readonly LegacyCollection WalkTwo = LegacyCollection.Walk("Rue de Crimée", 2.3800, 48.8900, Day.AddMinutes(5), 1);

    private void ServeWalks() => net.Walks.ServeCollections([[WalkOne], [WalkTwo]]);

    private static IEnumerable<Guid> Ids(params LegacyCollection[] collections) => collections.SelectMany(c => c.Pictures.Select(p => p.Id));

    [Fact]
    public async Task Harvested_legacy_pictures_are_served_in_search_items_and_tiles_with_hrefs_to_the_source()
    {
        ServeWalks();
        var outcome = await net.HarvestAsync(net.Walks);
        Assert.Null(outcome.Error);

        Assert.Equal(4, (await _agg.SearchIdsAsync(Ids(WalkOne, WalkTwo))).Count);
        var items = await _agg.GetJsonAsync($"/api/collections/{WalkOne.Id}/items");
        var features = items.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(WalkOne.Pictures.Select(p => p.Id.ToString()), features.Select(f => f.GetProperty("id").GetString()!));
        var hd = features[0].GetProperty("assets").GetProperty("hd").GetProperty("href").GetString()!;
        Assert.Equal($"{net.Walks.Url}/api/pictures/{WalkOne.Pictures[0].Id}/hd.jpg", hd);
        Assert.Equal($"{net.Walks.Url}/api/pictures/{WalkOne.Pictures[0].Id}/thumb.jpg", features[0].GetProperty("assets").GetProperty("thumb").GetProperty("href").GetString());
        Assert.Equal("legacy-walker", features[0].GetProperty("properties").GetProperty("geovisio:producer").GetString());
        // The aggregator's own file routes (the viewer's map previews use them) send to the source's files.
        using (var noFollow = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _agg.BaseUrl })
        {
            using var preview = await noFollow.GetAsync($"/api/pictures/{WalkOne.Pictures[0].Id}/thumb.jpg");
            Assert.Equal(System.Net.HttpStatusCode.Redirect, preview.StatusCode);
            Assert.Equal($"{net.Walks.Url}/api/pictures/{WalkOne.Pictures[0].Id}/thumb.jpg", preview.Headers.Location?.ToString());
            using var collectionPreview = await noFollow.GetAsync($"/api/collections/{WalkOne.Id}/thumb.jpg");
            Assert.Equal(System.Net.HttpStatusCode.Redirect, collectionPreview.StatusCode);
            Assert.Equal($"{net.Walks.Url}/api/pictures/{WalkOne.Pictures[0].Id}/thumb.jpg", collectionPreview.Headers.Location?.ToString());
        }

        var collection = await _agg.GetJsonAsync($"/api/collections/{WalkOne.Id}");
        Assert.Equal("Quai de la Loire", collection.GetProperty("title").GetString());
        Assert.Equal(3, collection.GetProperty("stats:items").GetProperty("count").GetInt32());

        var (x, y) = Mvt.TileOf(2.3700, 48.8850, 15);
        using var tile = await _agg.Http.GetAsync($"/api/map/15/{x}/{y}.mvt");
        var ids = Mvt.Decode(await tile.Content.ReadAsByteArrayAsync()).GetValueOrDefault("pictures", []).Select(f => f.Properties["id"].ToString()).ToHashSet();
        Assert.Contains(WalkOne.Pictures[0].Id.ToString(), ids);

        // Stored as replicated records of the source's synthetic, unsigned origin.
        var source = AggregatorNetwork.SourceId(net.Walks);
        Assert.Equal(source, await _agg.ScalarAsync<Guid>("SELECT origin_instance_id FROM pictures WHERE id = @id", ("id", WalkOne.Pictures[0].Id)));
        Assert.Equal("legacy-walks", await _agg.ScalarAsync<string>("SELECT name FROM instances WHERE id = @id AND public_key IS NULL AND NOT is_peer", ("id", source)));

        // The source is asked what the meta-catalogue asks (API doc §12), from the stored cursor.
        var firstPages = net.LegacyServer.LogEntries.Select(e => new Uri(e.RequestMessage.AbsoluteUrl))
            .Where(u => u.AbsolutePath == "/walks/api/collections" && !u.Query.Contains("page=", StringComparison.Ordinal))
            .Select(u => HttpUtility.ParseQueryString(u.Query)).ToList();
        Assert.NotEmpty(firstPages);
        Assert.All(firstPages, q =>
        {
            Assert.StartsWith("status IN ('deleted','ready') AND updated >= '", q["filter"], StringComparison.Ordinal);
            Assert.Equal("+updated", q["sortby"]);
            Assert.Equal("100", q["limit"]);
        });
        Assert.Equal(WalkTwo.Updated.UtcDateTime, await _agg.ScalarAsync<DateTime>("SELECT cursor_updated FROM legacy_sources WHERE instance_id = @id", ("id", source)));
    }

    [Fact]
    public async Task A_second_harvest_without_changes_on_the_source_changes_nothing()
    {
        ServeWalks();
        await net.HarvestAsync(net.Walks);
        var source = AggregatorNetwork.SourceId(net.Walks);
        var entries = await _agg.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", source));
        var versions = await _agg.ScalarAsync<string>("SELECT string_agg(id::text || ':' || version::text, ',' ORDER BY id) FROM pictures WHERE origin_instance_id = @o", ("o", source));

        var again = await net.HarvestAsync(net.Walks);

        Assert.Equal(new HarvestOutcome(0, 0, 0, null), again);
        Assert.Equal(entries, await _agg.ScalarAsync<long>("SELECT count(*) FROM change_log WHERE origin_instance_id = @o", ("o", source)));
        Assert.Equal(versions, await _agg.ScalarAsync<string>("SELECT string_agg(id::text || ':' || version::text, ',' ORDER BY id) FROM pictures WHERE origin_instance_id = @o", ("o", source)));
    }

    [Fact]
    public async Task Pictures_and_collections_deleted_on_the_source_disappear_and_a_late_copy_does_not_bring_them_back()
    {
        var walk = LegacyCollection.Walk("Canal Saint-Martin", 2.3660, 48.8720, Day, 3);
        net.Deletions.ServeCollections([[walk]]);
        await net.HarvestAsync(net.Deletions);
        Assert.Equal(3, (await _agg.SearchIdsAsync(Ids(walk))).Count);

        // One picture deleted there: the collection's updated moves and the items no longer list it.
        var shorter = walk with { Updated = Day.AddHours(1), Pictures = walk.Pictures.Skip(1).ToList() };
        net.Deletions.ServeCollections([[shorter]]);
        Assert.Null((await net.HarvestAsync(net.Deletions)).Error);
        Assert.Equal(Ids(shorter).ToHashSet(), await _agg.SearchIdsAsync(Ids(walk)));

        // The whole collection deleted: a stub, as GeoVisio lists tombstones.
        net.Deletions.ServeCollections([[shorter]], deleted: new HashSet<Guid> { walk.Id });
        var outcome = await net.HarvestAsync(net.Deletions);
        Assert.Null(outcome.Error);
        Assert.Empty(await _agg.SearchIdsAsync(Ids(walk)));
        using (var gone = await _agg.Http.GetAsync($"/api/collections/{walk.Id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        using (var items = await _agg.Http.GetAsync($"/api/collections/{walk.Id}/items"))
        {
            Assert.Equal(HttpStatusCode.NotFound, items.StatusCode);
        }

        // A late answer (a lagging replica of the source) serving the old version again changes nothing.
        net.Deletions.ServeCollections([[shorter]]);
        await net.HarvestAsync(net.Deletions);
        Assert.Empty(await _agg.SearchIdsAsync(Ids(walk)));
        Assert.Equal("deleted", await _agg.ScalarAsync<string>("SELECT status FROM sequences WHERE id = @id", ("id", walk.Id)));
    }

    [Fact]
    public async Task A_source_answering_500_keeps_the_previous_data_and_the_error_is_shown_to_admins()
    {
        var walk = LegacyCollection.Walk("Parc des Buttes-Chaumont", 2.3830, 48.8800, Day, 2);
        net.Failing.ServeCollections([[walk]]);
        await net.HarvestAsync(net.Failing);
        Assert.Equal(2, (await _agg.SearchIdsAsync(Ids(walk))).Count);

        net.Failing.ServeCollectionsAnswer(HttpStatusCode.InternalServerError, """{"message":"Internal server error"}""");
        var outcome = await net.HarvestAsync(net.Failing);

        Assert.Contains("HTTP 500", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await _agg.SearchIdsAsync(Ids(walk))).Count);
        using var admin = await TestAuth.AdminAsync(_agg);
        var sources = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/sources")).RootElement.GetProperty("sources");
        var failing = sources.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "legacy-failing");
        Assert.Contains("HTTP 500", failing.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, failing.GetProperty("pictures").GetInt64());
        Assert.Equal(net.Failing.Url, failing.GetProperty("url").GetString());
    }

    [Fact]
    public async Task Malformed_answers_are_recorded_and_never_half_apply_a_collection()
    {
        var good = LegacyCollection.Walk("Good walk", 2.3500, 48.8600, Day, 1);
        var noGeometry = LegacyCollection.Walk("Walk with a picture without geometry", 2.3510, 48.8610, Day.AddMinutes(1), 3);
        var garbage = LegacyCollection.Walk("Walk whose items are not JSON", 2.3520, 48.8620, Day.AddMinutes(2), 1);
        net.Malformed.ServeCollections([[good, noGeometry, garbage]]);
        var item = JsonSerializer.Serialize(new
        {
            type = "FeatureCollection",
            features = new object[]
            {
                new { type = "Feature", id = noGeometry.Pictures[2].Id, collection = noGeometry.Id, geometry = (object?)null, properties = new { datetime = "2025-02-28T09:00:00+00:00" } },
            },
            links = Array.Empty<object>(),
        });
        // The first items page (two pictures) is well formed; the second holds an item without geometry.
        net.Malformed.ServeItemsAnswer(noGeometry.Id, HttpStatusCode.OK, item, page: 1);
        net.Malformed.ServeItemsAnswer(garbage.Id, HttpStatusCode.OK, "<html>Bad gateway</html>");

        var outcome = await net.HarvestAsync(net.Malformed);

        Assert.Equal(1, outcome.Collections);
        Assert.Equal(1, outcome.Rejected);
        Assert.Contains("valid JSON", outcome.Error, StringComparison.Ordinal);
        // The run stopped at the garbage: the stored cursor is the last collection applied, so the next run starts there.
        Assert.Equal(good.Updated.UtcDateTime, await _agg.ScalarAsync<DateTime>("SELECT cursor_updated FROM legacy_sources WHERE instance_id = @id",
            ("id", AggregatorNetwork.SourceId(net.Malformed))));
        Assert.Single(await _agg.SearchIdsAsync(Ids(good, noGeometry, garbage)));
        Assert.Equal(0L, await _agg.ScalarAsync<long>("SELECT count(*) FROM sequences WHERE id = ANY(@ids)", ("ids", new[] { noGeometry.Id, garbage.Id })));
        Assert.Equal(0L, await _agg.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE id = ANY(@ids)", ("ids", Ids(noGeometry, garbage).ToArray())));

        // Once the source is fixed, the next harvest takes the collection it had to stop at.
        net.Malformed.ServeCollections([[good, garbage]]);
        var fixedOutcome = await net.HarvestAsync(net.Malformed);
        Assert.Null(fixedOutcome.Error);
        Assert.Equal(2, (await _agg.SearchIdsAsync(Ids(good, garbage))).Count);
    }

    [Fact]
    public async Task Oversized_answers_and_text_PostgreSQL_cannot_store_are_refused_with_the_reason_and_never_half_applied()
    {
        var nul = LegacyCollection.Walk("Walk with a NUL \0 in its title", 2.3600, 48.8700, Day.AddHours(5), 1);
        var honest = LegacyCollection.Walk("Walk after it", 2.3610, 48.8710, Day.AddHours(6), 2);
        var huge = LegacyCollection.Walk("Walk with a huge items page", 2.3620, 48.8720, Day.AddHours(7), 1);
        net.Unstorable.ServeCollections([[nul, honest, huge]]);
        // A well-formed page that is simply too big: one property pads it past the limit.
        var padded = JsonSerializer.Serialize(new
        {
            type = "FeatureCollection",
            features = Array.Empty<object>(),
            links = Array.Empty<object>(),
            padding = new string('x', AggregatorNetwork.MaxAnswerBytes),
        });
        net.Unstorable.ServeItemsAnswer(huge.Id, HttpStatusCode.OK, padded);

        var outcome = await net.HarvestAsync(net.Unstorable);

        Assert.NotNull(outcome.Error);
        Assert.Contains("Panoramax:Aggregator:MaxAnswerBytes", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(1, outcome.Rejected);
        Assert.Equal(2, (await _agg.SearchIdsAsync(Ids(nul, honest, huge))).Count);
        Assert.Equal(0L, await _agg.ScalarAsync<long>("SELECT count(*) FROM sequences WHERE id = ANY(@ids)", ("ids", new[] { nul.Id, huge.Id })));
        using var admin = await TestAuth.AdminAsync(_agg);
        var sources = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/sources")).RootElement.GetProperty("sources");
        var mine = sources.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "legacy-unstorable");
        Assert.Contains("MaxAnswerBytes", mine.GetProperty("last_error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_next_link_to_another_host_is_not_followed_and_the_error_says_why()
    {
        var walk = LegacyCollection.Walk("Walk whose next page is elsewhere", 2.3700, 48.8600, Day.AddHours(8), 1);
        net.Wandering.ServeCollections([[walk]]);
        // The same page, whose next link leads to another host (the same server under another name).
        using var http = new HttpClient();
        var page = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync($"{net.Wandering.Url}/api/collections"))!.AsObject();
        var other = new Uri(net.Wandering.Url).Host == "localhost" ? "127.0.0.1" : "localhost";
        var elsewhere = new UriBuilder(net.Walks.Url) { Host = other }.Uri;
        page["links"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["rel"] = "next", ["type"] = "application/json", ["href"] = $"{elsewhere}/api/collections?page=p1",
        });
        net.Wandering.ServeCollectionsAnswer(HttpStatusCode.OK, page.ToJsonString());

        var outcome = await net.HarvestAsync(net.Wandering);

        Assert.True(outcome.Error?.Contains("another host", StringComparison.Ordinal) == true, $"error: {outcome.Error}");
        Assert.Contains(other, outcome.Error, StringComparison.Ordinal);
        // What the source served itself was applied.
        Assert.Single(await _agg.SearchIdsAsync(Ids(walk)));
    }

    [Fact]
    public async Task A_run_reads_at_most_MaxPages_pages_of_the_list_and_of_each_collection()
    {
        // Four list pages of one collection each; the second collection has 7 pictures, i.e. 4 item pages of two.
        var walks = Enumerable.Range(0, 4).Select(i =>
            LegacyCollection.Walk($"Endless walk {i}", 2.3800 + (i * 0.001), 48.8700, Day.AddHours(10 + i), i == 1 ? 7 : 1)).ToList();
        net.Endless.ServeCollections([.. walks.Select(w => (IReadOnlyList<LegacyCollection>)[w])]);

        var outcome = await net.HarvestAsync(net.Endless);

        Assert.True(outcome.Error?.Contains($"more than {AggregatorNetwork.MaxPages} collection-list pages", StringComparison.Ordinal) == true, $"error: {outcome.Error}");
        Assert.Equal(1, outcome.Rejected);
        Assert.Equal(2, outcome.Collections);
        Assert.Equal(Ids(walks[0], walks[2]).ToHashSet(), await _agg.SearchIdsAsync(Ids([.. walks])));
    }

    [Fact]
    public async Task A_collection_whose_account_id_is_held_by_another_origin_is_refused_whole()
    {
        // The aggregator's own admin account: a legacy source claiming that id must not write anything under it.
        var admin = await _agg.ScalarAsync<Guid>("SELECT id FROM accounts WHERE name = 'admin'");
        var impostor = LegacyCollection.Walk("Impostor walk", 2.3400, 48.8500, Day.AddHours(3), 3) with { Account = admin };
        var honest = LegacyCollection.Walk("Honest walk", 2.3410, 48.8510, Day.AddHours(4), 1);
        net.Clashing.ServeCollections([[impostor, honest]]);

        var outcome = await net.HarvestAsync(net.Clashing);

        Assert.Equal(1, outcome.Rejected);
        Assert.Contains("another origin", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(0L, await _agg.ScalarAsync<long>("SELECT count(*) FROM sequences WHERE id = @id", ("id", impostor.Id)));
        Assert.Equal(0L, await _agg.ScalarAsync<long>("SELECT count(*) FROM pictures WHERE id = ANY(@ids)", ("ids", Ids(impostor).ToArray())));
        Assert.Single(await _agg.SearchIdsAsync(Ids(honest)));
        Assert.Equal(Guid.Empty, await _agg.ScalarAsync<Guid>("SELECT origin_instance_id FROM accounts WHERE id = @id AND origin_instance_id <> (SELECT id FROM instances WHERE is_self)", ("id", admin)));
    }

    [Theory]
    [InlineData("POST", "/api/upload_sets")]
    [InlineData("PATCH", "/api/upload_sets/6a4c1f7e-3c2d-4b8e-9f10-2b3c4d5e6f70")]
    [InlineData("DELETE", "/api/upload_sets/6a4c1f7e-3c2d-4b8e-9f10-2b3c4d5e6f70")]
    [InlineData("POST", "/api/upload_sets/6a4c1f7e-3c2d-4b8e-9f10-2b3c4d5e6f70/files")]
    [InlineData("POST", "/api/upload_sets/6a4c1f7e-3c2d-4b8e-9f10-2b3c4d5e6f70/complete")]
    [InlineData("POST", "/api/collections")]
    [InlineData("POST", "/api/collections/6a4c1f7e-3c2d-4b8e-9f10-2b3c4d5e6f70/items")]
    public async Task Upload_routes_answer_403_on_the_aggregator(string method, string path)
    {
        using var admin = await TestAuth.AdminAsync(_agg);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("""{"title":"x"}""", Encoding.UTF8, "application/json") };
        using var response = await admin.SendAsync(request);
        var error = await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("meta-catalogue", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var anonymous = await _agg.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_upload_page_of_the_aggregator_says_it_does_not_accept_uploads()
    {
        using var response = await _agg.Http.GetAsync("/upload");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("does not accept uploads", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_aggregator_still_syncs_the_pictures_of_its_peers()
    {
        var seq = await net.Alpha.PublishAsync(TestData.Walk(2.2945, 48.8584, Day, 2));
        await Network.WaitUntilAsync(async () => (await _agg.SearchIdsAsync(seq.PictureIds)).Count == 2, "the aggregator's search finds alpha's pictures");
        Assert.Equal(net.Alpha.Id, await _agg.ScalarAsync<Guid>("SELECT origin_instance_id FROM pictures WHERE id = @id", ("id", seq.PictureIds[0])));
    }

    [Fact]
    public async Task The_sources_api_is_for_admins_only()
    {
        using var anonymous = await _agg.Http.GetAsync("/api/admin/sources");
        await JsonAssert.IsApiErrorAsync(anonymous, HttpStatusCode.Unauthorized);
        var (_, user) = await TestAuth.UserAsync(_agg, "curious-user");
        using (user)
        {
            using var forbidden = await user.GetAsync("/api/admin/sources");
            await JsonAssert.IsApiErrorAsync(forbidden, HttpStatusCode.Forbidden);
            using var add = await user.PostAsJsonAsync("/api/admin/sources", new { url = "https://legacy.example.org" });
            await JsonAssert.IsApiErrorAsync(add, HttpStatusCode.Forbidden);
        }
        using (var remove = await _agg.Http.DeleteAsync($"/api/admin/sources/{AggregatorNetwork.SourceId(net.Walks)}"))
        {
            await JsonAssert.IsApiErrorAsync(remove, HttpStatusCode.Unauthorized);
        }
        using var admin = await TestAuth.AdminAsync(_agg);
        var sources = JsonDocument.Parse(await admin.GetStringAsync("/api/admin/sources")).RootElement.GetProperty("sources");
        Assert.Equal(new[] { "legacy-clashing", "legacy-deletions", "legacy-endless", "legacy-failing", "legacy-malformed", "legacy-unstorable", "legacy-walks", "legacy-wandering" },
            sources.EnumerateArray().Where(s => s.GetProperty("state").GetString() == "configured").Select(s => s.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray());
        using var harvest = await admin.PostAsync($"/api/admin/sources/{AggregatorNetwork.SourceId(net.Walks)}/harvest", null);
        Assert.Equal(HttpStatusCode.Accepted, harvest.StatusCode);
    }

    [Fact]
    public async Task A_source_added_by_an_admin_is_harvested_at_once_and_once_removed_is_not_any_more_but_keeps_its_pictures()
    {
        var walk = LegacyCollection.Walk("Canal Saint-Martin", 2.3660, 48.8720, Day, 2);
        net.Added.ServeCollections([[walk]]);
        using var admin = await TestAuth.AdminAsync(_agg);

        using var added = await admin.PostAsJsonAsync("/api/admin/sources", new { url = net.Added.Url + "/api/", name = "legacy-added", interval = "01:00:00" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var source = JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement;
        var id = AggregatorNetwork.SourceId(net.Added);
        Assert.Equal(id, source.GetProperty("id").GetGuid());
        Assert.Equal(net.Added.Url, source.GetProperty("url").GetString());
        Assert.Equal("added", source.GetProperty("state").GetString());
        Assert.Equal("01:00:00", source.GetProperty("interval").GetString());
        Assert.Equal($"/api/admin/sources/{id}", added.Headers.Location?.ToString());
        // The first harvest runs at once, not an interval later.
        await Network.WaitUntilAsync(async () => (await _agg.SearchIdsAsync(walk.Pictures.Select(p => p.Id))).Count == 2, "the added source's pictures are searchable");
        Assert.Equal("legacy-added", await _agg.ScalarAsync<string>("SELECT name FROM instances WHERE id = @id AND public_key IS NULL", ("id", id)));

        // Twice, or a configured source: 409 saying where its settings live.
        using (var again = await admin.PostAsJsonAsync("/api/admin/sources", new { url = net.Added.Url }))
        {
            Assert.Contains("already harvested here", (await JsonAssert.IsApiErrorAsync(again, HttpStatusCode.Conflict)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        using (var configured = await admin.PostAsJsonAsync("/api/admin/sources", new { url = net.Walks.Url }))
        {
            Assert.Contains("Panoramax:Aggregator:Sources", (await JsonAssert.IsApiErrorAsync(configured, HttpStatusCode.Conflict)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        using (var removeConfigured = await admin.DeleteAsync($"/api/admin/sources/{AggregatorNetwork.SourceId(net.Walks)}"))
        {
            Assert.Contains("remove it there", (await JsonAssert.IsApiErrorAsync(removeConfigured, HttpStatusCode.Conflict)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // A restart schedules it again from the database (the job dropped here stands for a new process).
        var scheduler = _agg.Services.GetRequiredService<LegacyHarvestScheduler>();
        var quartz = await _agg.Services.GetRequiredService<Quartz.ISchedulerFactory>().GetScheduler();
        Assert.True(await quartz.DeleteJob(LegacyHarvestScheduler.KeyOf(id)));
        await scheduler.StartAsync(CancellationToken.None);
        Assert.True(await quartz.Exists(LegacyHarvestScheduler.KeyOf(id)));

        using (var removed = await admin.DeleteAsync($"/api/admin/sources/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        Assert.False(await quartz.Exists(LegacyHarvestScheduler.KeyOf(id)));
        var status = JsonDocument.Parse(await admin.GetStringAsync($"/api/admin/sources/{id}")).RootElement;
        Assert.Equal("removed", status.GetProperty("state").GetString());
        Assert.False(status.TryGetProperty("interval", out var interval) && interval.ValueKind != JsonValueKind.Null, "a removed source has no interval");
        using (var harvest = await admin.PostAsync($"/api/admin/sources/{id}/harvest", null))
        {
            await JsonAssert.IsApiErrorAsync(harvest, HttpStatusCode.NotFound);
        }
        using (var twice = await admin.DeleteAsync($"/api/admin/sources/{id}"))
        {
            await JsonAssert.IsApiErrorAsync(twice, HttpStatusCode.NotFound);
        }
        // Not scheduled again at the next start, and what was harvested stays.
        await scheduler.StartAsync(CancellationToken.None);
        Assert.False(await quartz.Exists(LegacyHarvestScheduler.KeyOf(id)));
        Assert.Equal(2, (await _agg.SearchIdsAsync(walk.Pictures.Select(p => p.Id))).Count);

        // Added again: it goes on from where it stopped (same origin, same cursor), with the new settings.
        using var back = await admin.PostAsJsonAsync("/api/admin/sources", new { url = net.Added.Url, interval = "2.00:00:00" });
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        var resumed = JsonDocument.Parse(await back.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("added", resumed.GetProperty("state").GetString());
        Assert.Equal("2.00:00:00", resumed.GetProperty("interval").GetString());
        Assert.Equal(walk.Updated.UtcDateTime, resumed.GetProperty("cursor_updated").GetDateTimeOffset().UtcDateTime);
        using var cleanup = await admin.DeleteAsync($"/api/admin/sources/{id}");
    }

    [Theory]
    [InlineData("{}", HttpStatusCode.BadRequest, "root URL")]
    [InlineData("{\"url\": \"ftp://legacy.example.org\"}", HttpStatusCode.BadRequest, "http(s)")]
    [InlineData("{\"url\": 42}", HttpStatusCode.BadRequest, "url must be a string")]
    [InlineData("{\"url\": \"https://legacy.example.org\", \"interval\": \"00:00:10\"}", HttpStatusCode.BadRequest, "00:01:00")]
    [InlineData("{\"url\": \"https://legacy.example.org\", \"interval\": \"soon\"}", HttpStatusCode.BadRequest, "hh:mm:ss")]
    [InlineData("[\"https://legacy.example.org\"]", HttpStatusCode.BadRequest, "JSON object")]
    [InlineData("{\"url\": ", HttpStatusCode.BadRequest, "not valid JSON")]
    public async Task Adding_a_source_with_a_bad_body_answers_a_clear_error_and_adds_nothing(string body, HttpStatusCode status, string says)
    {
        using var admin = await TestAuth.AdminAsync(_agg);
        var before = await _agg.ScalarAsync<long>("SELECT count(*) FROM legacy_sources");

        using var response = await admin.PostAsync("/api/admin/sources", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Contains(says, (await JsonAssert.IsApiErrorAsync(response, status)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await _agg.ScalarAsync<long>("SELECT count(*) FROM legacy_sources"));
    }
}
