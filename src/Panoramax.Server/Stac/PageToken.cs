using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac;

/// <summary>
/// Opaque keyset pagination tokens for collection lists: the sort values of a boundary row and a direction,
/// base64url-encoded JSON. Clients only ever get them from first/prev/next/last links.
/// </summary>
public static class PageToken
{
    public sealed record Decoded(Keyset? Keyset, bool Last);

    public static string After(IReadOnlyList<object> values) => Encode(new Payload { V = Strings(values), B = false });

    public static string Before(IReadOnlyList<object> values) => Encode(new Payload { V = Strings(values), B = true });

    public static string LastPage() => Encode(new Payload { L = true });

    public static Decoded Decode(string? token, IReadOnlyList<CollectionSort> sort)
    {
        if (string.IsNullOrEmpty(token))
        {
            return new Decoded(null, false);
        }
        try
        {
            var bytes = Base64Url.DecodeFromChars(token);
            var payload = JsonSerializer.Deserialize<Payload>(bytes) ?? throw new FormatException();
            if (payload.L)
            {
                return new Decoded(null, true);
            }
            if (payload.V is null || payload.V.Length != sort.Count)
            {
                throw new FormatException();
            }
            var values = new List<object>(sort.Count);
            for (var i = 0; i < sort.Count; i++)
            {
                values.Add(sort[i].Field == "id"
                    ? Guid.Parse(payload.V[i])
                    : DateTimeOffset.Parse(payload.V[i], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
            }
            return new Decoded(new Keyset(values, payload.B), false);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            throw ApiException.BadRequest("page is not a valid pagination token for this sort order: follow the first/next/prev/last links as they are", new { input = token });
        }
    }

    private static string[] Strings(IReadOnlyList<object> values) =>
        values.Select(v => v switch
        {
            DateTimeOffset d => d.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            Guid g => g.ToString(),
            _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
        }).ToArray();

    private static string Encode(Payload p) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(p)));

    private sealed class Payload
    {
        public string[]? V { get; set; }
        public bool B { get; set; }
        public bool L { get; set; }
    }
}
