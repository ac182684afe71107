using Panoramax.Domain.Instances;

namespace Panoramax.UnitTests.Domain;

public sealed class AcceptedLicensesTests
{
    [Fact]
    public void Null_accepts_every_licence_and_stays_null()
    {
        Assert.Equal((null, null), AcceptedLicenses.Normalize(null));
        Assert.True(AcceptedLicenses.Accepts(null, "anything"));
        Assert.True(AcceptedLicenses.Accepts(null, null));
    }

    [Fact]
    public void Ids_are_trimmed_and_deduplicated_ignoring_case_in_their_first_spelling()
    {
        var (value, error) = AcceptedLicenses.Normalize([" CC0-1.0", "cc0-1.0", "etalab-2.0 "]);
        Assert.Null(error);
        Assert.Equal(["CC0-1.0", "etalab-2.0"], value);
    }

    [Fact]
    public void An_empty_list_is_allowed_and_accepts_nothing()
    {
        var (value, error) = AcceptedLicenses.Normalize([]);
        Assert.Null(error);
        Assert.NotNull(value);
        Assert.False(AcceptedLicenses.Accepts(value, "CC0-1.0"));
    }

    [Theory]
    [InlineData("CC0-1.0", true)]
    [InlineData("cc0-1.0", true)]
    [InlineData("CC-BY-SA-4.0", false)]
    [InlineData(null, false)]
    public void A_filter_accepts_only_its_licences_and_never_an_unknown_one(string? license, bool accepted) =>
        Assert.Equal(accepted, AcceptedLicenses.Accepts(["CC0-1.0"], license));

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    [InlineData("CC0\u0007-1.0")]
    [InlineData("CC 0")]
    public void Blank_and_spaced_ids_are_refused(string? id) => Assert.NotNull(AcceptedLicenses.Normalize([id]).Error);

    [Fact]
    public void More_than_fifty_ids_are_refused() =>
        Assert.NotNull(AcceptedLicenses.Normalize([.. Enumerable.Range(0, 51).Select(i => $"L-{i}")]).Error);
}
