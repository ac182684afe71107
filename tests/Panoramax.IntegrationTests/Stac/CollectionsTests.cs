using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Stac;

public class CollectionsTests(StacFixture f) : IClassFixture<StacFixture>
{
    private static IEnumerable<string> Ids(JsonElement list) =>
        list.GetProperty("collections").EnumerateArray().Select(c => c.GetProperty("id").GetString()!);

    [Fact]
    public async Task List_shows_exactly_the_public_ready_sequences()
    {
        var list = await f.GetJsonAsync("/api/collections");

        Assert.Equal(f.PublicSequences.Select(i => i.ToString()).Order(), Ids(list).Order());
    }

    [Fact]
    public async Task Collection_has_geovisio_fields_extent_and_links()
    {
        var c = await f.GetJsonAsync($"/api/collections/{f.Flat1.Id}");

        Assert.Equal("Collection", c.GetProperty("type").GetString());
        Assert.Equal("Arezzo north", c.GetProperty("title").GetString());
        Assert.False(c.TryGetProperty("geovisio:status", out _), "ready sequences omit geovisio:status");
        Assert.Equal("anyone", c.GetProperty("geovisio:visibility").GetString());
        Assert.Equal(5, c.GetProperty("stats:items").GetProperty("count").GetInt32());
        Assert.Equal("alice", c.GetProperty("providers")[0].GetProperty("name").GetString());
        Assert.Equal(f.Alice.ToString(), c.GetProperty("providers")[0].GetProperty("id").GetString());
        var bbox = c.GetProperty("extent").GetProperty("spatial").GetProperty("bbox")[0];
        Assert.Equal(11.88, bbox[0].GetDouble(), 4);
        Assert.Equal("2023-05-01T10:00:00+00:00", c.GetProperty("extent").GetProperty("temporal").GetProperty("interval")[0][0].GetString());
        Assert.Equal("NIKON", c.GetProperty("summaries").GetProperty("pers:interior_orientation")[0].GetProperty("make").GetString());
        var items = Assert.Single(JsonAssert.Links(c, "items"));
        Assert.EndsWith($"/api/collections/{f.Flat1.Id}/items", items.GetProperty("href").GetString(), StringComparison.Ordinal);
        Assert.True(c.GetProperty("geovisio:length_km").GetDouble() > 0);
    }

    [Fact]
    public async Task Stac_documents_pass_the_offline_validator()
    {
        var b = f.BaseUrl.ToString().TrimEnd('/');
        var (ok, output) = await StacValidator.ValidateAsync(
            $"{b}/api/collections",
            $"{b}/api/collections/{f.Flat1.Id}",
            $"{b}/api/collections/{f.Sphere.Id}",
            $"{b}/api/collections/{f.Flat1.Id}/items",
            $"{b}/api/collections/{f.Flat1.Id}/items/{f.Flat1.PictureIds[0]}",
            $"{b}/api/collections/{f.Sphere.Id}/items/{f.Sphere.PictureIds[1]}",
            $"{b}/api/search?bbox=11.87,43.46,11.89,43.47&limit=50",
            $"{b}/api/collections?show_deleted=true");
        Assert.True(ok, output);
    }

    [Fact]
    public async Task Keyset_paging_walks_every_sequence_once_forwards_and_back()
    {
        var seen = new List<string>();
        var page = await f.GetJsonAsync("/api/collections?limit=1");
        var pages = 1;
        seen.AddRange(Ids(page));
        Assert.Empty(JsonAssert.Links(page, "prev"));
        while (JsonAssert.Links(page, "next").FirstOrDefault() is { ValueKind: JsonValueKind.Object } next)
        {
            page = await f.GetJsonAsync(next.GetProperty("href").GetString()!);
            seen.AddRange(Ids(page));
            Assert.True(++pages < 10, "paging does not end");
        }
        Assert.Equal(f.PublicSequences.Count(), seen.Count);
        Assert.Equal(f.PublicSequences.Select(i => i.ToString()).Order(), seen.Order());
        Assert.Empty(JsonAssert.Links(page, "last"));

        var prev = Assert.Single(JsonAssert.Links(page, "prev")).GetProperty("href").GetString()!;
        var before = await f.GetJsonAsync(prev);
        Assert.Equal(seen[^2], Assert.Single(Ids(before)));

        var first = await f.GetJsonAsync("/api/collections?limit=3");
        var last = await f.GetJsonAsync(Assert.Single(JsonAssert.Links(first, "last")).GetProperty("href").GetString()!);
        Assert.Equal(seen[^3..], Ids(last));
    }

    [Fact]
    public async Task Sort_by_created_descending_reverses_the_order()
    {
        var asc = Ids(await f.GetJsonAsync("/api/collections")).ToList();
        var desc = Ids(await f.GetJsonAsync("/api/collections?sortby=-created")).ToList();
        Assert.Equal(asc.AsEnumerable().Reverse(), desc);
    }

    [Fact]
    public async Task Bbox_and_datetime_narrow_the_list()
    {
        var paris = await f.GetJsonAsync("/api/collections?bbox=2.3,48.8,2.4,48.9");
        Assert.Equal([f.Tagged.Id.ToString()], Ids(paris));

        var in2024 = await f.GetJsonAsync("/api/collections?datetime=2024-01-01T00:00:00Z/..");
        Assert.Equal(new[] { f.Flat2.Id, f.Sphere.Id }.Select(i => i.ToString()).Order(), Ids(in2024).Order());
    }

    [Fact]
    public async Task Cql2_filter_on_created_and_type()
    {
        var later = await f.GetJsonAsync("/api/collections?filter=" + Uri.EscapeDataString("created >= '2025-01-01T01:30:00Z'"));
        Assert.Equal(new[] { f.Sphere.Id, f.Tagged.Id }.Select(i => i.ToString()).Order(), Ids(later).Order());

        var spheres = await f.GetJsonAsync("/api/collections?filter=" + Uri.EscapeDataString("type = 'equirectangular'"));
        Assert.Equal([f.Sphere.Id.ToString()], Ids(spheres));
    }

    [Fact]
    public async Task Harvester_status_filter_returns_tombstones_as_stubs()
    {
        var filter = Uri.EscapeDataString("status IN ('deleted','ready') AND updated > '2000-01-01T00:00:00Z'");
        var list = await f.GetJsonAsync($"/api/collections?filter={filter}&limit=100");
        var byId = list.GetProperty("collections").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!);

        Assert.Equal("deleted", byId[f.Deleted.Id.ToString()].GetProperty("geovisio:status").GetString());
        Assert.Equal("deleted", byId[f.Private.Id.ToString()].GetProperty("geovisio:status").GetString());
        Assert.False(byId[f.Private.Id.ToString()].TryGetProperty("title", out _), "a stub must not leak the hidden sequence's metadata");
        Assert.True(byId[f.Flat1.Id.ToString()].TryGetProperty("title", out _));
        Assert.DoesNotContain(f.Preparing.Id.ToString(), byId.Keys);
    }

    [Fact]
    public async Task Rss_lists_sequences_with_georss_points()
    {
        using var response = await f.Http.GetAsync("/api/collections?format=rss");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        var rss = XDocument.Parse(await response.Content.ReadAsStringAsync());
        var items = rss.Descendants("item").ToList();
        Assert.Equal(f.PublicSequences.Count(), items.Count);
        Assert.All(items, i => Assert.NotNull(i.Element(XName.Get("point", "http://www.georss.org/georss"))));
        Assert.Equal("Paris", items[0].Element("title")!.Value); // newest first
    }

    [Fact]
    public async Task Hidden_unready_and_deleted_sequences_are_404_for_anonymous()
    {
        foreach (var id in new[] { f.Private.Id, f.Preparing.Id, f.Deleted.Id, Guid.NewGuid() })
        {
            using var response = await f.Http.GetAsync($"/api/collections/{id}");
            await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.NotFound);
        }
    }

    [Theory]
    [InlineData("/api/collections?bbox=1,2,3")]
    [InlineData("/api/collections?bbox=10,50,5,40")]
    [InlineData("/api/collections?bbox=a,b,c,d")]
    [InlineData("/api/collections?bbox=-200,0,10,10")]
    [InlineData("/api/collections?datetime=yesterday")]
    [InlineData("/api/collections?datetime=2024-02-30")]
    [InlineData("/api/collections?limit=100000")]
    [InlineData("/api/collections?limit=0")]
    [InlineData("/api/collections?sortby=title")]
    [InlineData("/api/collections?filter=nope%20%3D%201")]
    [InlineData("/api/collections?filter=created%20%3E")]
    [InlineData("/api/collections?filter=created%20%3E%20'1'%3B%20DROP%20TABLE%20sequences%3B--'")]
    [InlineData("/api/collections?filter=title%20%3D%20'x'%20OR%201%3D1")]
    [InlineData("/api/collections?filter=status%20%3D%20'deleted'")]
    [InlineData("/api/collections?page=garbage")]
    [InlineData("/api/collections?format=rss&show_deleted=true")]
    [InlineData("/api/collections?show_deleted=maybe")]
    public async Task Bad_queries_are_400_with_a_message(string url)
    {
        using var response = await f.Http.GetAsync(url);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/api/collections/not-a-uuid")]
    [InlineData("/api/collections/not-a-uuid/items")]
    public async Task Non_uuid_ids_are_404(string url)
    {
        using var response = await f.Http.GetAsync(url);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Sequences_table_survives_a_filter_injection_attempt()
    {
        using var _ = await f.Http.GetAsync("/api/collections?filter=" + Uri.EscapeDataString("created > '2020-01-01'); DROP TABLE sequences; --"));
        var list = await f.GetJsonAsync("/api/collections");
        Assert.NotEmpty(Ids(list));
    }
}
