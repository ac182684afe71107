using System.Globalization;

namespace Panoramax.Server.Http;

/// <summary>Timestamps as GeoVisio writes them (Python isoformat: +00:00, microseconds only when non-zero).</summary>
public static class StacTime
{
    public static string Utc(DateTimeOffset t) => Format(t.ToUniversalTime());

    /// <summary>The same instant in the given offset (the picture's local time).</summary>
    public static string InOffset(DateTimeOffset t, TimeSpan offset) => Format(t.ToOffset(offset));

    private static string Format(DateTimeOffset t)
    {
        var micro = t.Ticks % TimeSpan.TicksPerSecond / 10;
        var main = t.ToString(micro == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        return main + t.ToString("zzz", CultureInfo.InvariantCulture);
    }
}
