using Panoramax.Domain.Abstractions;

namespace Panoramax.Storage;

/// <summary>Argument checks shared by both stores, so hostile keys fail the same way everywhere.</summary>
internal static class BlobKeys
{
    public static void EnsureValid(string key)
    {
        if (!StorageKeys.IsValid(key))
        {
            throw new ArgumentException($"Invalid storage key '{key}'", nameof(key));
        }
    }

    /// <summary>
    /// A prefix is a valid key optionally followed by one '/', or (for listing only) empty for everything.
    /// Deleting needs a non-empty prefix: wiping a whole store is never what a caller means.
    /// </summary>
    public static void EnsureValidPrefix(string prefix, bool allowEmpty)
    {
        if (prefix.Length == 0 && allowEmpty)
        {
            return;
        }
        var bare = prefix.EndsWith('/') ? prefix[..^1] : prefix;
        if (!StorageKeys.IsValid(bare))
        {
            throw new ArgumentException($"Invalid storage prefix '{prefix}'", nameof(prefix));
        }
    }

    public static void EnsureValidRange(long offset, long? length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(length));
        }
    }
}
