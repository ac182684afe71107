using System.Text.Json;
using System.Text.Json.Nodes;
using Panoramax.Server.Http;

namespace Panoramax.Server.Manage;

/// <summary>
/// Tag updates of §8: a list of <c>{key, value, action: add|delete}</c> applied to a jsonb array of <c>{key, value}</c>;
/// deletes first, then adds, so "replace" is a delete plus an add in one request. Output is sorted and without duplicates.
/// </summary>
internal static class SemanticsUpdate
{
    public const int MaxKey = 256, MaxValue = 2048;

    private static readonly Comparer<(string Key, string Value)> TagOrder = Comparer<(string Key, string Value)>.Create((a, b) =>
        string.CompareOrdinal(a.Key, b.Key) is var c and not 0 ? c : string.CompareOrdinal(a.Value, b.Value));

    public static string Apply(string currentJson, JsonElement updates)
    {
        if (updates.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest("semantics must be a list of {key, value, action} objects");
        }
        var tags = new SortedSet<(string Key, string Value)>(TagOrder);
        foreach (var t in JsonDocument.Parse(currentJson).RootElement.EnumerateArray())
        {
            tags.Add((t.GetProperty("key").GetString()!, t.GetProperty("value").GetString()!));
        }
        var adds = new List<(string, string)>();
        var deletes = new List<(string, string)>();
        var i = 0;
        foreach (var u in updates.EnumerateArray())
        {
            var where = $"semantics[{i++}]";
            if (u.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadRequest($"{where} must be an object with key and value");
            }
            var key = Field(u, "key", MaxKey, where);
            var value = Field(u, "value", MaxValue, where);
            var action = u.TryGetProperty("action", out var a) && a.ValueKind != JsonValueKind.Null ? a.ValueKind == JsonValueKind.String ? a.GetString() : null : "add";
            switch (action)
            {
                case "add":
                    adds.Add((key, value));
                    break;
                case "delete":
                    deletes.Add((key, value));
                    break;
                default:
                    throw ApiException.BadRequest($"{where}.action must be add or delete");
            }
        }
        foreach (var d in deletes)
        {
            tags.Remove(d);
        }
        foreach (var a in adds)
        {
            tags.Add(a);
        }
        var array = new JsonArray();
        foreach (var (k, v) in tags)
        {
            array.Add(new JsonObject { ["key"] = k, ["value"] = v });
        }
        return array.ToJsonString();
    }

    private static string Field(JsonElement u, string name, int max, string where)
    {
        if (!u.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
        {
            throw ApiException.BadRequest($"{where}.{name} must be a non-empty text");
        }
        var s = v.GetString()!;
        return s.Length > max ? throw ApiException.BadRequest($"{where}.{name} is too long ({max} characters at most)") : s;
    }
}
