using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Reports;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Stac;

public class ReportsTests(StacFixture f) : IClassFixture<StacFixture>
{
    [Fact]
    public async Task Anonymous_report_on_a_picture_is_stored_with_its_sequence()
    {
        var picture = f.Flat2.PictureIds[0];
        using var response = await f.Http.PostAsJsonAsync("/api/reports", new { issue = "blur_missing", picture_id = picture, reporter_comments = "A face on the left", reporter_email = "me@example.org" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal("open", json.GetProperty("status").GetString());
        Assert.False(json.TryGetProperty("reporter_email", out var echoed), "the public view must not echo the e-mail");

        var (scope, db) = f.OpenDb();
        await using var _ = scope;
        var report = await db.Reports.SingleAsync(r => r.Id == Guid.Parse(json.GetProperty("id").GetString()!));
        Assert.Equal(ReportIssue.BlurMissing, report.Issue);
        Assert.Equal(f.Flat2.Id, report.SequenceId);
        Assert.Equal("me@example.org", report.ReporterEmail);
        Assert.Null(report.ReporterAccountId);
    }

    [Fact]
    public async Task Report_on_a_sequence_is_accepted()
    {
        using var response = await f.Http.PostAsJsonAsync("/api/reports", new { issue = "copyright", sequence_id = f.Sphere.Id });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"issue\":\"nope\",\"sequence_id\":\"SEQ\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"issue\":\"other\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"issue\":\"other\",\"picture_id\":\"not-a-uuid\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"issue\":\"other\",\"sequence_id\":\"SEQ\",\"reporter_email\":\"nobody\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"issue\":\"other\",\"picture_id\":\"HIDDEN\"}", HttpStatusCode.NotFound)]
    [InlineData("{\"issue\":\"other\",\"sequence_id\":\"PRIVATE\"}", HttpStatusCode.NotFound)]
    [InlineData("{\"issue\":\"other\",\"picture_id\":\"PIC\",\"sequence_id\":\"OTHERSEQ\"}", HttpStatusCode.BadRequest)]
    [InlineData("[1]", HttpStatusCode.BadRequest)]
    [InlineData("{broken", HttpStatusCode.BadRequest)]
    public async Task Bad_reports_get_clear_errors(string template, HttpStatusCode expected)
    {
        var body = template.Replace("OTHERSEQ", f.Flat2.Id.ToString(), StringComparison.Ordinal)
            .Replace("SEQ", f.Flat1.Id.ToString(), StringComparison.Ordinal)
            .Replace("HIDDEN", f.HiddenPicture.ToString(), StringComparison.Ordinal)
            .Replace("PRIVATE", f.Private.Id.ToString(), StringComparison.Ordinal)
            .Replace("PIC", f.Flat1.PictureIds[0].ToString(), StringComparison.Ordinal);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await f.Http.PostAsync("/api/reports", content);
        await JsonAssert.IsApiErrorAsync(response, expected);
    }

    [Fact]
    public async Task Reports_must_be_json()
    {
        using var content = new StringContent("issue=other", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await f.Http.PostAsync("/api/reports", content);
        await JsonAssert.IsApiErrorAsync(response, HttpStatusCode.UnsupportedMediaType);
    }
}
