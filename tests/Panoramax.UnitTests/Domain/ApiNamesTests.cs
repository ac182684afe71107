using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Reports;
using Panoramax.Domain.Visibility;

namespace Panoramax.UnitTests.Domain;

public class ApiNamesTests
{
    [Theory]
    [InlineData(PictureStatus.WaitingForProcess, "waiting-for-process")]
    [InlineData(PictureStatus.Ready, "ready")]
    [InlineData(PictureStatus.WaitingForDelete, "waiting-for-delete")]
    public void Picture_statuses_use_the_api_vocabulary(PictureStatus status, string expected) =>
        Assert.Equal(expected, status.ToApiName());

    [Fact]
    public void Visibility_words_round_trip() =>
        Assert.All(Enum.GetValues<Visibility>(), v => Assert.Equal(v, ApiNames.ParseApiName<Visibility>(v.ToApiName())));

    [Fact]
    public void Report_issues_match_the_viewer_list() =>
        Assert.Equal(
            ["blur_missing", "blur_excess", "inappropriate", "privacy", "picture_low_quality", "mislocated", "copyright", "other"],
            ApiNames.AllApiNames<ReportIssue>());

    [Fact]
    public void Report_statuses_and_rejections_are_snake_case()
    {
        Assert.Equal("closed_solved", ReportStatus.ClosedSolved.ToApiName());
        Assert.Equal("capture_duplicate", Panoramax.Domain.UploadSets.RejectionReason.CaptureDuplicate.ToApiName());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Ready")]
    [InlineData("owner_only")]
    [InlineData(null)]
    public void Unknown_words_are_not_parsed(string? text) =>
        Assert.False(ApiNames.TryParseApiName<Visibility>(text, out _));
}
