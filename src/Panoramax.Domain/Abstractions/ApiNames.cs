using System.Collections.Frozen;

namespace Panoramax.Domain.Abstractions;

/// <summary>Marks an enum whose API words are snake_case (<c>blur_missing</c>) rather than kebab-case.</summary>
[AttributeUsage(AttributeTargets.Enum)]
public sealed class SnakeCaseApiNamesAttribute : Attribute;

/// <summary>
/// Maps enum members to the kebab-case (or, with <see cref="SnakeCaseApiNamesAttribute"/>, snake_case) words the Panoramax API and our database use
/// (<c>WaitingForProcess</c> ⇄ <c>waiting-for-process</c>), so the stored value is the API value.
/// </summary>
public static class ApiNames
{
    public static string ToApiName<T>(this T value) where T : struct, Enum => Cache<T>.ToName[value];

    public static bool TryParseApiName<T>(string? text, out T value) where T : struct, Enum
    {
        if (text is not null && Cache<T>.FromName.TryGetValue(text, out value))
        {
            return true;
        }
        value = default;
        return false;
    }

    public static T ParseApiName<T>(string text) where T : struct, Enum =>
        TryParseApiName<T>(text, out var v) ? v : throw new FormatException($"'{text}' is not a valid {typeof(T).Name}.");

    public static IReadOnlyList<string> AllApiNames<T>() where T : struct, Enum => Cache<T>.Names;

    internal static string Words(string name, char separator)
    {
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                sb.Append(separator);
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private static class Cache<T> where T : struct, Enum
    {
        private static readonly char Separator = typeof(T).IsDefined(typeof(SnakeCaseApiNamesAttribute), false) ? '_' : '-';
        public static readonly FrozenDictionary<T, string> ToName =
            Enum.GetValues<T>().ToFrozenDictionary(v => v, v => Words(v.ToString(), Separator));
        public static readonly FrozenDictionary<string, T> FromName =
            ToName.ToFrozenDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        public static readonly IReadOnlyList<string> Names = ToName.Values.ToArray();
    }
}
