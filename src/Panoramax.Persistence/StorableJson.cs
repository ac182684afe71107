using System.Text.Json;

namespace Panoramax.Persistence;

/// <summary>
/// JSON the parser accepts but PostgreSQL does not store: an escaped lone surrogate ("\ud800") only fails once the
/// string is read or encoded, and "\u0000" is refused in both text and jsonb. Request bodies and federation payloads
/// are checked once, where they arrive, instead of failing half-way through a write.
/// </summary>
public static class StorableJson
{
    /// <summary>
    /// Whether <paramref name="json"/> may hold such a string at all: both can only be written as <c>\u</c> escapes
    /// (raw control characters are not valid JSON, and UTF-8 cannot carry a lone surrogate), so text without any
    /// escape of that kind needs no closer look.
    /// </summary>
    public static bool MayHoldUnstorable(ReadOnlySpan<char> json) => json.IndexOf("\\u", StringComparison.Ordinal) >= 0;

    /// <summary>Where the first name or string PostgreSQL cannot store is (".name[2]" below the root, "" for the root), or null.</summary>
    public static string? FirstUnstorableString(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return Storable(e.GetString) ? null : "";
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (!Storable(() => p.Name))
                    {
                        return "";
                    }
                    if (FirstUnstorableString(p.Value) is { } inner)
                    {
                        return "." + p.Name + inner;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    if (FirstUnstorableString(item) is { } inner)
                    {
                        return $"[{i}]{inner}";
                    }
                    i++;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Storable(Func<string?> read)
    {
        try
        {
            return read() is not { } text || !text.Contains('\0', StringComparison.Ordinal);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
