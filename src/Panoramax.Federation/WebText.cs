using System.Diagnostics.CodeAnalysis;

namespace Panoramax.Federation;

/// <summary>Text other servers give us (peers, relays, legacy sources), checked or shortened before we keep it.</summary>
internal static class WebText
{
    /// <summary>An absolute http or https URL: the only kind of link from another server that we store, show or follow.</summary>
    public static bool TryHttpUrl(string? text, [NotNullWhen(true)] out Uri? uri) =>
        Uri.TryCreate(text, UriKind.Absolute, out uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>At most <paramref name="max"/> UTF-16 units, never half of a surrogate pair (the rest would not be valid UTF-8).</summary>
    public static string Cut(string text, int max) =>
        text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)];
}
