using System.Globalization;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>A bounding box in WGS84 degrees.</summary>
public sealed record Bbox(double MinX, double MinY, double MaxX, double MaxY)
{
    public double CenterX => (MinX + MaxX) / 2;
    public double CenterY => (MinY + MaxY) / 2;
}

/// <summary>A closed, half-open or open time interval (null = unbounded side).</summary>
public sealed record TimeInterval(DateTimeOffset? Start, DateTimeOffset? End);

/// <summary>Parsing of the STAC query parameters shared by several routes, with 400 errors a person can act on.</summary>
public static class StacParams
{
    public static int Limit(string? text, int min, int max, int fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
        {
            throw ApiException.BadRequest($"limit must be an integer between {min} and {max}", new { input = text });
        }
        return v;
    }

    /// <summary><c>minx,miny,maxx,maxy</c> (also bracketed), longitudes −180..180, latitudes −90..90, min ≤ max.</summary>
    public static Bbox? ParseBbox(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var parts = text.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4)
        {
            throw ApiException.BadRequest("bbox must be 4 numbers: minx,miny,maxx,maxy (longitude, latitude in WGS84 degrees)", new { input = text });
        }
        var n = new double[4];
        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out n[i]) || !double.IsFinite(n[i]))
            {
                throw ApiException.BadRequest($"bbox value '{parts[i]}' is not a number", new { input = text });
            }
        }
        return FromNumbers(n, text);
    }

    public static Bbox FromNumbers(IReadOnlyList<double> n, object input)
    {
        if (n.Count != 4)
        {
            throw ApiException.BadRequest("bbox must be 4 numbers: minx,miny,maxx,maxy", new { input });
        }
        if (n[0] < -180 || n[2] > 180 || n[1] < -90 || n[3] > 90 || n[0] > 180 || n[2] < -180 || n[1] > 90 || n[3] < -90)
        {
            throw ApiException.BadRequest("bbox is out of range: longitudes must be within -180..180 and latitudes within -90..90", new { input });
        }
        if (n[0] > n[2] || n[1] > n[3])
        {
            throw ApiException.BadRequest("bbox minimum values must not be greater than maximum values (minx,miny,maxx,maxy)", new { input });
        }
        return new Bbox(n[0], n[1], n[2], n[3]);
    }

    /// <summary>STAC datetime: an instant, or <c>start/end</c> with <c>..</c> or empty for an open side. Dates mean whole days.</summary>
    public static TimeInterval? ParseDatetime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var parts = text.Split('/');
        if (parts.Length > 2)
        {
            throw ApiException.BadRequest("datetime must be a date-time, or an interval start/end (use .. for an open end)", new { input = text });
        }
        if (parts.Length == 1)
        {
            var (start, end) = Instant(parts[0], text);
            return new TimeInterval(start, end);
        }
        var s = parts[0] is "" or ".." ? (DateTimeOffset?)null : Instant(parts[0], text).Start;
        var e = parts[1] is "" or ".." ? (DateTimeOffset?)null : Instant(parts[1], text).End;
        if (s is null && e is null)
        {
            throw ApiException.BadRequest("datetime interval must have at least one bound", new { input = text });
        }
        if (s > e)
        {
            throw ApiException.BadRequest("datetime interval starts after it ends", new { input = text });
        }
        return new TimeInterval(s, e);
    }

    /// <summary>A date-time is an instant; a plain date covers the whole (UTC) day.</summary>
    private static (DateTimeOffset Start, DateTimeOffset End) Instant(string value, string input)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return (start, start.AddDays(1).AddTicks(-10));
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) && value.Contains('T', StringComparison.OrdinalIgnoreCase))
        {
            return (t, t);
        }
        throw ApiException.BadRequest($"'{value}' is not a valid RFC 3339 date-time (e.g. 2024-05-01T10:00:00Z) or date (2024-05-01)", new { input });
    }

    /// <summary>A list of UUIDs given as repeated parameters, a comma-separated string or a JSON array.</summary>
    public static IReadOnlyList<Guid>? ParseIds(IEnumerable<string?>? values, string name)
    {
        if (values is null)
        {
            return null;
        }
        var all = values.Where(v => !string.IsNullOrWhiteSpace(v))
            .SelectMany(v => v!.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(v => v.Trim('"'))
            .ToList();
        if (all.Count == 0)
        {
            return null;
        }
        var ids = new List<Guid>(all.Count);
        foreach (var v in all)
        {
            if (!Guid.TryParse(v, out var id))
            {
                throw ApiException.BadRequest($"'{v}' in {name} is not a valid id (UUID)", new { input = v });
            }
            ids.Add(id);
        }
        return ids;
    }

    public static bool ParseBool(string? text, string name) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "false" or "0" or "no" => false,
        "true" or "1" or "yes" => true,
        _ => throw ApiException.BadRequest($"{name} must be true or false", new { input = text }),
    };
}
