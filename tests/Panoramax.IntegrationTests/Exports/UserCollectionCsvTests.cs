using System.Net;
using System.Net.Http.Headers;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Exports;

namespace Panoramax.IntegrationTests.Exports;

/// <summary><c>/api/users/{id}/collection?format=csv</c> (GeoVisio §9): columns, visibility, hostile text.</summary>
public class UserCollectionCsvTests(ExportInstance f) : IClassFixture<ExportInstance>
{
    [Fact]
    public async Task Csv_lists_only_the_sequences_the_caller_may_see_in_geovisio_columns()
    {
        using var response = await f.Http.GetAsync($"/api/users/{f.Alice}/collection?format=csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = CsvText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(SequenceCsv.Columns, csv[0]);
        var line = Assert.Single(csv.Skip(1));
        Assert.Equal(f.Public.Id.ToString(), line[0]);
        Assert.Equal("ready", line[1]);
        Assert.Equal("4", line[12]);
        Assert.Equal("2024-06-02", line[5]);
        Assert.StartsWith("11.88", line[8], StringComparison.Ordinal);

        // Another logged-in account does not see Alice's owner-only sequence either.
        var asBob = CsvText.Parse(await f.BobClient.GetStringAsync($"/api/users/{f.Alice}/collection?format=csv"));
        Assert.Equal(2, asBob.Count);
    }

    [Fact]
    public async Task Owner_csv_lists_hidden_sequences_with_their_visibility()
    {
        var csv = CsvText.Parse(await f.AliceClient.GetStringAsync("/api/users/me/collection?format=csv"));
        Assert.Equal(SequenceCsv.Columns.Append("visibility"), csv[0]);
        Assert.Equal(3, csv.Count);
        Assert.Equal("owner-only", csv.Single(r => r[0] == f.Hidden.Id.ToString())[^1]);
        Assert.Equal("anyone", csv.Single(r => r[0] == f.Public.Id.ToString())[^1]);
        // Default order: newest first.
        Assert.Equal(f.Hidden.Id.ToString(), csv[1][0]);
    }

    [Fact]
    public async Task Accept_text_csv_gives_the_csv_form()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/users/{f.Alice}/collection?limit=1");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await f.Http.SendAsync(request);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, CsvText.Parse(await response.Content.ReadAsStringAsync()).Count);
    }

    [Fact]
    public async Task A_hostile_title_stays_one_quoted_field_and_cannot_run_as_a_formula()
    {
        var text = await f.Http.GetStringAsync($"/api/users/{f.Alice}/collection?format=csv");
        var csv = CsvText.Parse(text);

        Assert.All(csv, r => Assert.Equal(SequenceCsv.Columns.Count, r.Length));
        Assert.Equal("'" + ExportInstance.HostileTitle, csv[1][2]);
        Assert.DoesNotContain(",=HYPERLINK", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("format=xml")]
    [InlineData("format=csv&sortby=color")]
    [InlineData("format=csv&bbox=1,2,3")]
    public async Task Bad_csv_requests_are_400_with_a_message(string query)
    {
        using var response = await f.Http.GetAsync($"/api/users/{f.Alice}/collection?{query}");
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Csv_of_an_unknown_user_is_400()
    {
        using var response = await f.Http.GetAsync($"/api/users/{Guid.NewGuid()}/collection?format=csv");
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.BadRequest);
    }
}
