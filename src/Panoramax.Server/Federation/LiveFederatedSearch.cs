using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Panoramax.Domain.Instances;
using Panoramax.Federation;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Search;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Federation;

/// <summary>
/// <c>/api/search?federated=live</c>: the usual local answer plus what every trusted peer answers within the search
/// deadline. Only bbox, datetime, ids and limit travel to peers, so other filters are refused rather than half-applied.
/// <c>hops</c> (1 to <see cref="FederationOptions.MaxHops"/>, default 1) lets the peers ask their own peers in turn.
/// </summary>
internal sealed class LiveFederatedSearch(FederatedSearch search, NpgsqlDataSource db, uint hops)
{
    public const string Parameter = "federated";
    public const string LiveValue = "live";
    public const string HopsParameter = "hops";

    /// <summary>The fan-out when the request asks for it, null otherwise; 400 when it cannot be honoured.</summary>
    public static LiveFederatedSearch? Requested(SearchEndpoints.SearchRequest s, IServiceProvider services)
    {
        if (string.IsNullOrWhiteSpace(s.Federated))
        {
            return s.Hops is null ? null
                : throw ApiException.BadRequest($"{HopsParameter} only applies to a live search: add {Parameter}={LiveValue} or remove {HopsParameter}",
                    new { input = s.Hops });
        }
        if (!string.Equals(s.Federated.Trim(), LiveValue, StringComparison.Ordinal))
        {
            throw ApiException.BadRequest($"{Parameter} accepts only '{LiveValue}' (ask the trusted peers too); leave it out for a local search",
                new { input = s.Federated });
        }
        var unsupported = new (string Name, bool Present)[]
        {
            ("intersects", !string.IsNullOrWhiteSpace(s.Intersects)),
            ("collections", s.Collections?.Any(c => !string.IsNullOrWhiteSpace(c)) == true),
            ("place_position", !string.IsNullOrWhiteSpace(s.PlacePosition)),
            ("filter", !string.IsNullOrWhiteSpace(s.Filter)),
            ("sortby", !string.IsNullOrWhiteSpace(s.SortBy)),
        }.Where(p => p.Present).Select(p => p.Name).ToList();
        if (unsupported.Count > 0)
        {
            throw ApiException.BadRequest(
                $"{Parameter}={LiveValue} supports bbox, datetime, ids and limit only; remove {string.Join(", ", unsupported)} or the {Parameter} parameter",
                new { unsupported });
        }
        if (services.GetService<FederatedSearch>() is not { } fanOut)
        {
            throw ApiException.BadRequest($"Federation is disabled on this instance: {Parameter}={LiveValue} is not available");
        }
        return new LiveFederatedSearch(fanOut, services.GetRequiredService<NpgsqlDataSource>(), ParseHops(s.Hops, fanOut.MaxHops));
    }

    /// <summary>
    /// Counts a live search of the calling client once the whole request is known to be valid: 429 with Retry-After when
    /// it has started too many this minute (<see cref="FederationOptions.LiveSearchesPerClientPerMinute"/>).
    /// </summary>
    public static void Throttle(HttpContext context) =>
        context.RequestServices.GetRequiredKeyedService<ClientThrottle>(ClientThrottle.LiveSearch).Enforce(context,
            "Too many live searches: each one asks every peer of this instance",
            $", or search without {Parameter}={LiveValue} (the replicated records of the network are searched all the same)");

    /// <summary><c>hops</c>: 1 (the trusted peers only) when absent, else a whole number up to the configured maximum.</summary>
    private static uint ParseHops(string? text, int max)
    {
        if (text is null)
        {
            return 1;
        }
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var hops) || hops < 1 || hops > max)
        {
            throw ApiException.BadRequest(
                $"{HopsParameter} must be a whole number from 1 to {max}: 1 asks this instance's trusted peers, 2 also their peers, and so on; leave it out for 1",
                new { input = text, min = 1, max });
        }
        return (uint)hops;
    }

    // A fresh request id per search: every instance on the way fans it out at most once (cycles, several paths).
    public async Task<FanOutResult> AskAsync(LiveSearchQuery query, CancellationToken ct) =>
        await DropFilteredAsync(await search.AskPeersAsync(query, Guid.NewGuid().ToString(), hops, search.Deadline, exclude: null, ct), ct);

    /// <summary>
    /// Peers answer with what they show; records of an origin whose licence we filter must stay out of our answer too
    /// (else a peer's copy would bring back what our own copy hides). A hit's origin is known by its file hrefs, which
    /// always point to the origin (spec §3); its licence is its STAC <c>license</c>.
    /// </summary>
    private async Task<FanOutResult> DropFilteredAsync(FanOutResult result, CancellationToken ct)
    {
        if (result.Hits.Count == 0)
        {
            return result;
        }
        var filters = new List<(string Prefix, string[] Accepted)>();
        await using (var cmd = db.CreateCommand("SELECT base_url, accepted_licenses FROM instances WHERE accepted_licenses IS NOT NULL AND base_url IS NOT NULL AND NOT is_self"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                filters.Add((r.GetString(0).TrimEnd('/') + "/", r.GetFieldValue<string[]>(1)));
            }
        }
        return filters.Count == 0 ? result : result with { Hits = [.. result.Hits.Where(h => Shown(h.Json, filters))] };
    }

    private static bool Shown(byte[] json, List<(string Prefix, string[] Accepted)> filters)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var href = root.TryGetProperty("assets", out var assets) && assets.TryGetProperty("hd", out var hd)
            && hd.TryGetProperty("href", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString()! : "";
        var origin = filters.FindIndex(f => href.StartsWith(f.Prefix, StringComparison.OrdinalIgnoreCase));
        if (origin < 0)
        {
            return true;
        }
        var license = root.TryGetProperty("properties", out var p) && p.TryGetProperty("license", out var l) && l.ValueKind == JsonValueKind.String
            ? l.GetString()
            : null;
        return AcceptedLicenses.Accepts(filters[origin].Accepted, license);
    }

    /// <summary>The peers' items not held locally (local copy wins), up to <paramref name="limit"/>, and the <c>federation</c> member.</summary>
    public static (IReadOnlyList<byte[]> Extra, JsonObject Federation) Merge(IReadOnlyList<ItemRow> local, FanOutResult peers, int limit)
    {
        var ids = local.Select(r => r.Id).ToHashSet();
        var extra = peers.Hits.Where(h => ids.Add(h.Id)).Take(Math.Max(0, limit - local.Count)).Select(h => h.Json).ToList();
        var statuses = new JsonArray();
        foreach (var p in peers.Peers)
        {
            statuses.Add(new JsonObject
            {
                ["instance_id"] = p.InstanceId,
                ["status"] = StatusName(p.Status),
                ["elapsed_ms"] = p.ElapsedMs,
                ["relayed"] = peers.Relayed.Contains(p.InstanceId),
            });
        }
        return (extra, new JsonObject { ["mode"] = LiveValue, ["partial"] = peers.Partial, ["peers"] = statuses });
    }

    public static string StatusName(PeerSearchState state) => state switch
    {
        PeerSearchState.Ok => "ok",
        PeerSearchState.Timeout => "timeout",
        PeerSearchState.Refused => "refused",
        _ => "unavailable",
    };
}
