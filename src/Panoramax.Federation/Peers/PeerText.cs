namespace Panoramax.Federation.Peers;

/// <summary>
/// What an instance says about itself (name, URLs) before it is stored and shown on the admin pages: no control
/// characters (PostgreSQL refuses NUL; the others have no place in a name or URL), cut to length on a character
/// boundary, URLs absolute http(s). Problems are <see cref="ArgumentException"/>s naming the field.
/// </summary>
internal static class PeerText
{
    /// <summary>The trimmed text, at most <paramref name="max"/> UTF-16 units; null when empty.</summary>
    public static string? Text(string? value, int max, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (value.Any(char.IsControl))
        {
            throw new ArgumentException($"The peer's {what} contains a control character.");
        }
        return WebText.Cut(value.Trim(), max);
    }

    public static string? Url(string? value, string what)
    {
        var text = Text(value, 2000, what);
        if (text is null)
        {
            return null;
        }
        if (!WebText.TryHttpUrl(text, out _))
        {
            throw new ArgumentException($"The peer's {what} must be an absolute http or https URL (got \"{Shorten(text)}\").");
        }
        return text;
    }

    /// <summary>For what a third party relays: a value that would be refused is left out instead.</summary>
    public static string? OrNull(Func<string?> read)
    {
        try
        {
            return read();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : WebText.Cut(text, 80) + "…";
}
