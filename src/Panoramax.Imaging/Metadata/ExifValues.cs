using System.Globalization;
using System.Text.RegularExpressions;
using MetadataExtractor;

namespace Panoramax.Imaging.Metadata;

/// <summary>Lenient parsers for the text forms cameras and editors actually write; every one returns null on garbage.</summary>
internal static partial class ExifValues
{
    /// <summary>EXIF "yyyy:MM:dd HH:mm:ss[.fff]" and XMP ISO 8601 "yyyy-MM-ddTHH:mm[:ss][.fff][Z|±hh:mm]".</summary>
    [GeneratedRegex(@"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?\s*(Z|[+\-]\d{2}:?\d{2})?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimePattern();

    [GeneratedRegex(@"^\s*([+\-])(\d{2}):?(\d{2})\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetPattern();

    /// <summary>Adobe's XMP GPS form "DDD,MM.mmmmK" or "DDD,MM,SSK" (K = N/S/E/W), or a signed decimal.</summary>
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEWnsew])\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex XmpCoordinatePattern();

    public readonly record struct LocalDateTime(DateTime Value, int? OffsetMinutes);

    public static LocalDateTime? ParseDateTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var m = DateTimePattern().Match(text);
        if (!m.Success)
        {
            return null;
        }
        try
        {
            var value = new DateTime(
                Int(m.Groups[1]), Int(m.Groups[2]), Int(m.Groups[3]),
                Int(m.Groups[4]), Int(m.Groups[5]), m.Groups[6].Success ? Int(m.Groups[6]) : 0,
                DateTimeKind.Unspecified);
            if (m.Groups[7].Success)
            {
                value = value.AddTicks(FractionTicks(m.Groups[7].Value[1..]));
            }
            if (value.Year < 1900)
            {
                return null;
            }
            int? offset = m.Groups[8].Success ? ParseOffsetMinutes(m.Groups[8].Value == "Z" ? "+00:00" : m.Groups[8].Value) : null;
            return new LocalDateTime(value, offset);
        }
        catch (ArgumentOutOfRangeException)
        {
            // "0000:00:00 00:00:00" and friends.
            return null;
        }
    }

    /// <summary>EXIF SubSecTime* digits ("683670" = 0.683670 s).</summary>
    public static long SubSecondTicks(string? digits)
    {
        if (string.IsNullOrWhiteSpace(digits))
        {
            return 0;
        }
        var trimmed = digits.Trim().TrimEnd('\0');
        return trimmed.Length > 0 && trimmed.All(char.IsAsciiDigit) ? FractionTicks(trimmed) : 0;
    }

    public static int? ParseOffsetMinutes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var m = OffsetPattern().Match(text);
        if (!m.Success)
        {
            return null;
        }
        var minutes = (Int(m.Groups[2]) * 60) + Int(m.Groups[3]);
        if (minutes > 14 * 60)
        {
            return null;
        }
        return m.Groups[1].Value == "-" ? -minutes : minutes;
    }

    /// <summary>Degrees/minutes/seconds rationals; null when any part is undefined (0/0) or the result is out of range.</summary>
    public static double? DegreesFromRationals(Rational[]? parts, double max)
    {
        if (parts is null || parts.Length == 0 || parts.Length > 3 || parts.Any(p => p.Denominator == 0))
        {
            return null;
        }
        double value = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            value += parts[i].ToDouble() / Math.Pow(60, i);
        }
        // Some writers store signed rationals; the hemisphere comes from the ref tag only.
        value = Math.Abs(value);
        return double.IsFinite(value) && value <= max ? value : null;
    }

    /// <summary>An XMP GPS coordinate (signed decimal degrees), see <see cref="XmpCoordinatePattern"/>.</summary>
    public static double? ParseXmpCoordinate(string? text, bool latitude)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var m = XmpCoordinatePattern().Match(text);
        double value;
        if (m.Success)
        {
            value = Dbl(m.Groups[1].Value);
            if (m.Groups[2].Success)
            {
                value += Dbl(m.Groups[2].Value) / 60;
            }
            if (m.Groups[3].Success)
            {
                value += Dbl(m.Groups[3].Value) / 3600;
            }
            var hemisphere = char.ToUpperInvariant(m.Groups[4].Value[0]);
            if (latitude ? hemisphere is not ('N' or 'S') : hemisphere is not ('E' or 'W'))
            {
                return null;
            }
            if (hemisphere is 'S' or 'W')
            {
                value = -value;
            }
        }
        else if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return null;
        }
        var max = latitude ? 90 : 180;
        return double.IsFinite(value) && Math.Abs(value) <= max ? value : null;
    }

    /// <summary>An XMP number written as "n/d" or decimal text.</summary>
    public static double? ParseXmpNumber(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            if (double.TryParse(text[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && double.TryParse(text[(slash + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                && d != 0)
            {
                return n / d;
            }
            return null;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    }

    private static long FractionTicks(string digits)
    {
        // Ticks are 100 ns: keep at most 7 fractional digits.
        var seven = digits.Length >= 7 ? digits[..7] : digits.PadRight(7, '0');
        return long.Parse(seven, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static int Int(Group g) => int.Parse(g.Value, NumberStyles.None, CultureInfo.InvariantCulture);

    private static double Dbl(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
