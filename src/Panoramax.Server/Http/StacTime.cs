using System.Globalization;

namespace Panoramax.Server.Http;

/// <summary>Timestamps as GeoVisio writes them (Python isoformat: +00:00, microseconds only when non-zero).</summary>
public static class StacTime
{
    /// <summary>Longest output: 2026-11-23T18:32:12.123456+05:30.</summary>
    public const int MaxUtf8Length = 32;

    public static string Utc(DateTimeOffset t) => Format(t.ToUniversalTime());

    /// <summary>The same instant in the given offset (the picture's local time).</summary>
    public static string InOffset(DateTimeOffset t, TimeSpan offset) => Format(t.ToOffset(offset));

    /// <summary>
    /// The same text as <see cref="Utc"/> or <see cref="InOffset"/>, written as UTF-8 digits without a format string:
    /// item lists write four timestamps per picture and the culture-aware formatter was a visible part of their cost.
    /// </summary>
    /// <returns>The number of bytes written (at most <see cref="MaxUtf8Length"/>).</returns>
    public static int Utf8(DateTimeOffset t, TimeSpan? offset, Span<byte> dest)
    {
        var local = offset is { } o ? t.ToOffset(o) : t.ToUniversalTime();
        var d = local.DateTime;
        var i = 0;
        Digits(dest, ref i, d.Year, 4);
        dest[i++] = (byte)'-';
        Digits(dest, ref i, d.Month, 2);
        dest[i++] = (byte)'-';
        Digits(dest, ref i, d.Day, 2);
        dest[i++] = (byte)'T';
        Digits(dest, ref i, d.Hour, 2);
        dest[i++] = (byte)':';
        Digits(dest, ref i, d.Minute, 2);
        dest[i++] = (byte)':';
        Digits(dest, ref i, d.Second, 2);
        var micro = (int)(d.Ticks % TimeSpan.TicksPerSecond / 10);
        if (micro != 0)
        {
            dest[i++] = (byte)'.';
            Digits(dest, ref i, micro, 6);
        }
        var minutes = (int)local.Offset.TotalMinutes;
        dest[i++] = minutes < 0 ? (byte)'-' : (byte)'+';
        minutes = Math.Abs(minutes);
        Digits(dest, ref i, minutes / 60, 2);
        dest[i++] = (byte)':';
        Digits(dest, ref i, minutes % 60, 2);
        return i;
    }

    private static void Digits(Span<byte> dest, ref int i, int value, int width)
    {
        for (var k = width - 1; k >= 0; k--)
        {
            dest[i + k] = (byte)('0' + value % 10);
            value /= 10;
        }
        i += width;
    }

    private static string Format(DateTimeOffset t)
    {
        var micro = t.Ticks % TimeSpan.TicksPerSecond / 10;
        var main = t.ToString(micro == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        return main + t.ToString("zzz", CultureInfo.InvariantCulture);
    }
}
