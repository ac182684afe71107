namespace Panoramax.Domain.Instances;

/// <summary>
/// The per-origin licence filter an administrator sets: which licences of a peer's (or relayed origin's, or legacy
/// source's) records this instance shows. Hidden records stay stored and relayed; the filter is local policy.
/// </summary>
public static class AcceptedLicenses
{
    /// <summary>More would be a list of everything, which is what null (no filter) already says.</summary>
    public const int MaxEntries = 50;

    /// <summary>SPDX ids are short; the column holding a record's licence is 100 characters.</summary>
    public const int MaxLength = 100;

    /// <summary>
    /// Checks and normalises an admin's list: trimmed, duplicates (ignoring case) dropped, order kept. Null stays null
    /// (accept everything); an empty list is allowed and hides every record of the origin.
    /// </summary>
    /// <returns>The list to store, or the reason it is refused.</returns>
    public static (List<string>? Value, string? Error) Normalize(IReadOnlyList<string?>? licenses)
    {
        if (licenses is null)
        {
            return (null, null);
        }
        if (licenses.Count > MaxEntries)
        {
            return (null, $"At most {MaxEntries} licences may be listed (null accepts every licence).");
        }
        var result = new List<string>(licenses.Count);
        foreach (var raw in licenses)
        {
            var id = raw?.Trim();
            if (string.IsNullOrEmpty(id))
            {
                return (null, "Licence ids must be non-empty strings, e.g. \"CC0-1.0\".");
            }
            if (id.Length > MaxLength)
            {
                return (null, $"Licence ids are at most {MaxLength} characters.");
            }
            if (id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                return (null, $"Licence id \"{Printable(id)}\" holds a space or control character; licence ids look like \"CC-BY-SA-4.0\".");
            }
            if (!result.Contains(id, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(id);
            }
        }
        return (result, null);
    }

    /// <summary>Whether a record with licence <paramref name="license"/> of an origin with this filter is shown (the SQL trigger's rule, for callers in C#).</summary>
    public static bool Accepts(IReadOnlyList<string>? accepted, string? license) =>
        accepted is null || (license is not null && accepted.Contains(license, StringComparer.OrdinalIgnoreCase));

    private static string Printable(string s) => new([.. s.Select(c => char.IsControl(c) ? '?' : c)]);
}
