using Panoramax.Jobs;
using Panoramax.Jobs.Dispatch;

namespace Panoramax.UnitTests.Jobs;

public sealed class SequencePlannerTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A picture <paramref name="northM"/> metres north of a fixed point, <paramref name="seconds"/> after T0.</summary>
    private static DispatchPicture P(string name, double seconds, double northM, double? heading = null, double eastM = 0) =>
        new(Guid.NewGuid(), name, T0.AddSeconds(seconds), 45 + (northM / 111_195.0), 5 + (eastM / (111_195.0 * Math.Cos(45 * Math.PI / 180))), heading);

    private static string[] Names(PlannedSequence s, IReadOnlyList<DispatchPicture> all) =>
        [.. s.Pictures.Select(p => all.Single(x => x.Id == p.Id).FileName)];

    [Theory]
    [InlineData("time-asc", "a,b,c")]
    [InlineData("time-desc", "c,b,a")]
    [InlineData("filename-asc", "a,b,c")]
    [InlineData("filename-desc", "c,b,a")]
    public void Pictures_are_ordered_by_the_sort_method(string sort, string expected)
    {
        // File names and times agree here; the next test makes them disagree.
        var pictures = new[] { P("b", 10, 10), P("c", 20, 20), P("a", 0, 0) };
        var plan = SequencePlanner.Plan(pictures, "walk", new DispatchSettings(SortMethod: sort));
        Assert.Equal(expected.Split(','), Names(Assert.Single(plan.Sequences), pictures));
        Assert.Equal([1, 2, 3], plan.Sequences[0].Pictures.Select(p => p.Rank));
    }

    [Fact]
    public void Filename_sort_ignores_capture_times()
    {
        var pictures = new[] { P("IMG_2", 0, 0), P("IMG_1", 10, 10), P("IMG_3", 20, 20) };
        var plan = SequencePlanner.Plan(pictures, "walk", new DispatchSettings(SortMethod: "filename-asc", SplitTimeSeconds: 0));
        Assert.Equal(["IMG_1", "IMG_2", "IMG_3"], Names(Assert.Single(plan.Sequences), pictures));
    }

    [Theory]
    [InlineData(301, 10, 2)]   // time gap above 300 s
    [InlineData(299, 10, 1)]
    [InlineData(10, 101, 2)]   // distance jump above 100 m
    [InlineData(10, 99, 1)]
    public void A_time_gap_or_a_distance_jump_splits_the_sequence(double seconds, double metres, int expectedSequences)
    {
        var pictures = new[] { P("a", 0, 0), P("b", seconds, metres) };
        var plan = SequencePlanner.Plan(pictures, "walk", new DispatchSettings());
        Assert.Equal(expectedSequences, plan.Sequences.Count);
    }

    [Fact]
    public void Split_sequences_get_numbered_titles_and_their_own_ranks()
    {
        var pictures = new[] { P("a", 0, 0), P("b", 5, 5), P("c", 1000, 10), P("d", 1005, 15), P("e", 1010, 500) };
        var plan = SequencePlanner.Plan(pictures, "Morning walk", new DispatchSettings());
        Assert.Equal(["Morning walk-1", "Morning walk-2", "Morning walk-3"], plan.Sequences.Select(s => s.Title));
        Assert.Equal([["a", "b"], ["c", "d"], ["e"]], plan.Sequences.Select(s => Names(s, pictures)));
        Assert.All(plan.Sequences, s => Assert.Equal(Enumerable.Range(1, s.Pictures.Count), s.Pictures.Select(p => p.Rank)));
    }

    [Fact]
    public void No_split_keeps_one_sequence_whatever_the_gaps()
    {
        var pictures = new[] { P("a", 0, 0), P("b", 5000, 5000) };
        var plan = SequencePlanner.Plan(pictures, "walk", new DispatchSettings(NoSplit: true));
        Assert.Equal("walk", Assert.Single(plan.Sequences).Title);
    }

    [Theory]
    [InlineData(0.5, null, null, true)]      // same place, headings unknown
    [InlineData(0.5, 10.0, 50.0, true)]      // turned 40° < 60°
    [InlineData(0.5, 10.0, 100.0, false)]    // turned 90°: a look aside, kept
    [InlineData(0.5, 350.0, 20.0, true)]     // 30° across north
    [InlineData(1.5, null, null, false)]     // beyond 1 m
    public void Capture_duplicates_are_dropped_by_distance_and_rotation(double metres, double? h1, double? h2, bool duplicate)
    {
        var pictures = new[] { P("a", 0, 0, h1), P("b", 1, metres, h2), P("c", 2, 10) };
        var plan = SequencePlanner.Plan(pictures, "walk", new DispatchSettings());
        if (duplicate)
        {
            var dup = Assert.Single(plan.Duplicates);
            Assert.Equal(pictures[1].Id, dup.Id);
            Assert.Equal(pictures[0].Id, dup.DuplicateOf);
            Assert.Equal(metres, dup.DistanceM, 1);
            Assert.Equal(["a", "c"], Names(Assert.Single(plan.Sequences), pictures));
        }
        else
        {
            Assert.Empty(plan.Duplicates);
            Assert.Equal(3, Assert.Single(plan.Sequences).Pictures.Count);
        }
    }

    [Fact]
    public void No_deduplication_keeps_pictures_at_the_same_place()
    {
        var pictures = new[] { P("a", 0, 0), P("b", 1, 0) };
        var plan = SequencePlanner.Plan(pictures, "walk", new DispatchSettings(NoDeduplication: true));
        Assert.Empty(plan.Duplicates);
        Assert.Equal(2, plan.Sequences[0].Pictures.Count);
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(90, 90.0)]
    [InlineData(-90, 270.0)]
    public void Missing_headings_point_to_the_next_picture_plus_the_relative_heading(int relative, double expected)
    {
        // Walking north; the last picture takes the direction from the previous one. The file heading of b is kept.
        var pictures = new[] { P("a", 0, 0), P("b", 2, 10, heading: 123), P("c", 4, 20) };
        var plan = SequencePlanner.Plan(pictures, "walk", new DispatchSettings(RelativeHeading: relative));
        var s = Assert.Single(plan.Sequences);
        Assert.Equal(expected, s.Pictures[0].Heading!.Value, 1);
        Assert.True(s.Pictures[0].HeadingComputed);
        Assert.Equal(123, s.Pictures[1].Heading);
        Assert.False(s.Pictures[1].HeadingComputed);
        Assert.Equal(expected, s.Pictures[2].Heading!.Value, 1);
    }

    [Fact]
    public void Walking_east_gives_a_heading_of_90()
    {
        var pictures = new[] { P("a", 0, 0), P("b", 2, 0, eastM: 10) };
        var s = Assert.Single(SequencePlanner.Plan(pictures, "walk", new DispatchSettings()).Sequences);
        Assert.Equal(90, s.Pictures[0].Heading!.Value, 1);
    }

    [Fact]
    public void A_lone_picture_without_heading_keeps_none()
    {
        var s = Assert.Single(SequencePlanner.Plan([P("a", 0, 0)], "walk", new DispatchSettings()).Sequences);
        Assert.Null(s.Pictures[0].Heading);
    }

    [Fact]
    public void Distances_match_known_figures()
    {
        // DSCN0010 → DSCN0012 of the Arezzo walk: 39 m (shared/data MANIFEST).
        Assert.Equal(39, Geo.DistanceM(43.467448, 11.885127, 43.467157, 11.885395), 0);
    }

    [Theory]
    [InlineData(1, 10, 7.5, 12.5)]
    [InlineData(2, 20, 15, 25)]
    [InlineData(3, 40, 30, 50)]
    [InlineData(30, 3600, 2700, 4500)]  // capped at the maximum
    public void Retry_delays_double_with_jitter_up_to_the_maximum(int failures, double centre, double min, double max)
    {
        var low = Backoff.Delay(failures, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), 0).TotalSeconds;
        var high = Backoff.Delay(failures, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), 0.999999).TotalSeconds;
        Assert.Equal(min, low, 3);
        Assert.Equal(max, high, 2);
        Assert.Equal(centre, Backoff.Delay(failures, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), 0.5).TotalSeconds, 3);
    }
}
