namespace Panoramax.Jobs.Dispatch;

/// <summary>What dispatch needs to know of a picture. <c>Heading</c>: degrees from the file or the uploader; null when the file had none (it is then computed).</summary>
public sealed record DispatchPicture(Guid Id, string FileName, DateTimeOffset CapturedAt, double Latitude, double Longitude, double? Heading);

/// <summary>
/// An upload set's dispatch options, with the instance defaults already applied. A split distance or time of 0 or less
/// never splits on that criterion; <c>RelativeHeading</c> is added to computed headings (90 = a camera looking right of
/// the direction of travel).
/// </summary>
public sealed record DispatchSettings(
    string SortMethod = "time-asc",
    bool NoSplit = false,
    double SplitDistanceM = 100,
    double SplitTimeSeconds = 300,
    bool NoDeduplication = false,
    double DuplicateDistanceM = 1,
    double DuplicateRotationDeg = 60,
    int RelativeHeading = 0);

/// <summary>A picture at its place in a planned sequence; <see cref="Heading"/> is the one to store.</summary>
public sealed record PlannedPicture(Guid Id, int Rank, double? Heading, bool HeadingComputed);

public sealed record PlannedSequence(string Title, IReadOnlyList<PlannedPicture> Pictures);

/// <summary>A picture dropped as a capture duplicate of <see cref="DuplicateOf"/> (kept), with how close they were.</summary>
public sealed record CaptureDuplicate(Guid Id, Guid DuplicateOf, double DistanceM, double? AngleDeg);

public sealed record DispatchPlan(IReadOnlyList<PlannedSequence> Sequences, IReadOnlyList<CaptureDuplicate> Duplicates);

/// <summary>
/// GeoVisio's dispatch, as a pure function: sort the pictures, drop capture duplicates (a picture within the duplicate
/// distance of the previous kept one and turned less than the duplicate rotation — or either heading unknown), split
/// where consecutive pictures are too far apart in time or space, name the sequences (<c>title-1</c>, <c>title-2</c>…
/// when split), rank them, and give pictures without a heading the direction to the next picture (the last one: from
/// the previous) plus the relative heading.
/// </summary>
public static class SequencePlanner
{
    public static IReadOnlyList<string> SortMethods { get; } = ["time-asc", "time-desc", "filename-asc", "filename-desc"];

    public static DispatchPlan Plan(IReadOnlyList<DispatchPicture> pictures, string title, DispatchSettings settings)
    {
        var sorted = Sort(pictures, settings.SortMethod);
        var duplicates = new List<CaptureDuplicate>();
        var kept = new List<DispatchPicture>();
        foreach (var p in sorted)
        {
            if (!settings.NoDeduplication && kept.Count > 0 && DuplicateOf(kept[^1], p, settings) is { } dup)
            {
                duplicates.Add(dup);
                continue;
            }
            kept.Add(p);
        }

        var groups = new List<List<DispatchPicture>>();
        foreach (var p in kept)
        {
            if (groups.Count == 0 || (!settings.NoSplit && IsGap(groups[^1][^1], p, settings)))
            {
                groups.Add([]);
            }
            groups[^1].Add(p);
        }

        var sequences = groups.Select((g, i) => new PlannedSequence(
            groups.Count == 1 ? title : $"{title}-{i + 1}",
            Headings(g, settings.RelativeHeading))).ToList();
        return new DispatchPlan(sequences, duplicates);
    }

    public static IReadOnlyList<DispatchPicture> Sort(IReadOnlyList<DispatchPicture> pictures, string sortMethod) => sortMethod switch
    {
        "time-desc" => [.. pictures.OrderByDescending(p => p.CapturedAt).ThenByDescending(p => p.FileName, StringComparer.Ordinal)],
        "filename-asc" => [.. pictures.OrderBy(p => p.FileName, StringComparer.Ordinal).ThenBy(p => p.CapturedAt)],
        "filename-desc" => [.. pictures.OrderByDescending(p => p.FileName, StringComparer.Ordinal).ThenByDescending(p => p.CapturedAt)],
        _ => [.. pictures.OrderBy(p => p.CapturedAt).ThenBy(p => p.FileName, StringComparer.Ordinal)],
    };

    /// <summary>GeoVisio's <c>sorted_by</c> word of a sequence made with this sort method.</summary>
    public static string SortedBy(string sortMethod) => sortMethod switch
    {
        "time-desc" => "-gpsdate",
        "filename-asc" => "+filename",
        "filename-desc" => "-filename",
        _ => "+gpsdate",
    };

    private static CaptureDuplicate? DuplicateOf(DispatchPicture previous, DispatchPicture p, DispatchSettings s)
    {
        var distance = Geo.DistanceM(previous.Latitude, previous.Longitude, p.Latitude, p.Longitude);
        if (distance > s.DuplicateDistanceM)
        {
            return null;
        }
        double? angle = previous.Heading is { } a && p.Heading is { } b ? Geo.AngleBetween(a, b) : null;
        if (angle is { } turned && turned > s.DuplicateRotationDeg)
        {
            // Same place, other direction: a wanted picture (a turn, a look aside).
            return null;
        }
        return new CaptureDuplicate(p.Id, previous.Id, Math.Round(distance, 2), angle is { } x ? Math.Round(x, 1) : null);
    }

    private static bool IsGap(DispatchPicture previous, DispatchPicture p, DispatchSettings s)
    {
        if (s.SplitTimeSeconds > 0 && Math.Abs((p.CapturedAt - previous.CapturedAt).TotalSeconds) > s.SplitTimeSeconds)
        {
            return true;
        }
        return s.SplitDistanceM > 0 && Geo.DistanceM(previous.Latitude, previous.Longitude, p.Latitude, p.Longitude) > s.SplitDistanceM;
    }

    private static List<PlannedPicture> Headings(List<DispatchPicture> g, int relativeHeading)
    {
        var result = new List<PlannedPicture>(g.Count);
        for (var i = 0; i < g.Count; i++)
        {
            var p = g[i];
            if (p.Heading is { } own)
            {
                result.Add(new PlannedPicture(p.Id, i + 1, own, HeadingComputed: false));
                continue;
            }
            double? computed = null;
            if (g.Count > 1)
            {
                var (from, to) = i < g.Count - 1 ? (p, g[i + 1]) : (g[i - 1], p);
                computed = Geo.Normalize(Geo.Bearing(from.Latitude, from.Longitude, to.Latitude, to.Longitude) + relativeHeading);
            }
            result.Add(new PlannedPicture(p.Id, i + 1, computed, HeadingComputed: computed is not null));
        }
        return result;
    }
}

/// <summary>Great-circle figures on a sphere of the mean Earth radius (plenty for metres between photos).</summary>
public static class Geo
{
    private const double EarthRadiusM = 6_371_008.8;

    public static double DistanceM(double lat1, double lon1, double lat2, double lon2)
    {
        var (p1, p2) = (Rad(lat1), Rad(lat2));
        var dp = p2 - p1;
        var dl = Rad(lon2 - lon1);
        var h = (Math.Sin(dp / 2) * Math.Sin(dp / 2)) + (Math.Cos(p1) * Math.Cos(p2) * Math.Sin(dl / 2) * Math.Sin(dl / 2));
        return 2 * EarthRadiusM * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    /// <summary>Initial bearing from the first point to the second, degrees clockwise from north in [0, 360).</summary>
    public static double Bearing(double lat1, double lon1, double lat2, double lon2)
    {
        var (p1, p2) = (Rad(lat1), Rad(lat2));
        var dl = Rad(lon2 - lon1);
        var y = Math.Sin(dl) * Math.Cos(p2);
        var x = (Math.Cos(p1) * Math.Sin(p2)) - (Math.Sin(p1) * Math.Cos(p2) * Math.Cos(dl));
        return Normalize(Math.Atan2(y, x) * 180 / Math.PI);
    }

    /// <summary>Smallest turn between two headings, in [0, 180].</summary>
    public static double AngleBetween(double a, double b)
    {
        var d = Math.Abs(Normalize(a) - Normalize(b));
        return d > 180 ? 360 - d : d;
    }

    public static double Normalize(double degrees)
    {
        var d = degrees % 360;
        return d < 0 ? d + 360 : d;
    }

    private static double Rad(double degrees) => degrees * Math.PI / 180;
}
