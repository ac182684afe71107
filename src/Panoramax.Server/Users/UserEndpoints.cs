using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Persistence.Exports;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;
using Panoramax.Server.Stac.Filter;

namespace Panoramax.Server.Users;

/// <summary>
/// Public read routes about accounts: the user list and search (the viewer's user filter), one user, and a
/// user's sequences as a STAC collection (<c>/collection</c>, or CSV with <c>format=csv</c>) or the older catalog form (<c>/catalog/</c>).
/// </summary>
public static class UserEndpoints
{
    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        api.MapGet("/users", ListAsync).WithName("ListUsers");
        api.MapGet("/users/search", SearchAsync).WithName("SearchUsers").WithSummary("Find accounts by name (viewer's user filter)");
        api.MapGet("/users/{id:guid}", GetAsync).WithName("GetUser");
        api.MapGet("/users/{id:guid}/collection", CollectionAsync).WithName("UserCollection").WithSummary("A user's sequences as one STAC collection");
        // Routing treats the trailing slash as optional: /catalog and /catalog/ both land here.
        api.MapGet("/users/{id:guid}/catalog/", CatalogAsync).WithName("UserCatalog").WithSummary("A user's sequences as a STAC catalog (deprecated form)");
        return api;
    }

    private sealed record UserRow(Guid Id, string Name, bool HasSequences);

    internal static async Task<IResult> ListAsync(HttpRequest request, LinkBuilder links, [ReadPool] NpgsqlDataSource db, CancellationToken ct)
    {
        var limit = StacParams.Limit(request.Query["limit"], 1, 1000, 1000);
        var users = await QueryUsersAsync(db, null, null, limit, ct);
        var l = new JsonArray
        {
            StacCollectionJson.Link("user-search", links.Api("/api/users/search"), ApiJson.Json),
            StacCollectionJson.Link("root", links.Api("/api"), ApiJson.Json),
        };
        foreach (var u in users.Where(u => u.HasSequences))
        {
            l.Add(StacCollectionJson.Link("child", links.Api($"/api/users/{u.Id}/collection"), ApiJson.Json, u.Name));
        }
        var body = new JsonObject
        {
            ["stac_version"] = "1.0.0",
            ["id"] = "geovisio:users",
            ["type"] = "Catalog",
            ["title"] = "Users catalog",
            ["description"] = "List of users of this instance",
            ["conformsTo"] = new JsonArray(),
            ["users"] = new JsonArray([.. users.Select(u => (JsonNode)new JsonObject
            {
                ["name"] = u.Name,
                ["id"] = u.Id.ToString(),
                ["links"] = UserLinks(u.Id, links),
            })]),
            ["links"] = l,
        };
        return Results.Json(body, ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> SearchAsync(HttpRequest request, LinkBuilder links, [ReadPool] NpgsqlDataSource db, CancellationToken ct)
    {
        var q = request.Query["q"].ToString().Trim();
        if (q.Length == 0)
        {
            throw ApiException.BadRequest("q is required: the beginning or a part of a user name");
        }
        if (q.Length > 100)
        {
            throw ApiException.BadRequest("q is too long (100 characters at most)");
        }
        var limit = StacParams.Limit(request.Query["limit"], 1, 100, 20);
        var users = await QueryUsersAsync(db, q, null, limit, ct);
        var features = new JsonArray([.. users.Select(u => (JsonNode)new JsonObject
        {
            ["label"] = u.Name,
            ["id"] = u.Id.ToString(),
            ["links"] = UserLinks(u.Id, links),
        })]);
        return Results.Json(new JsonObject { ["features"] = features }, ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> GetAsync(Guid id, LinkBuilder links, [ReadPool] NpgsqlDataSource db, CancellationToken ct)
    {
        var user = (await QueryUsersAsync(db, null, id, 1, ct)).FirstOrDefault() ?? throw ApiException.NotFound($"User {id} not found");
        var l = new JsonArray
        {
            StacCollectionJson.Link("catalog", links.Api($"/api/users/{id}/catalog/"), ApiJson.Json),
            StacCollectionJson.Link("collection", links.Api($"/api/users/{id}/collection"), ApiJson.Json),
            StacCollectionJson.Link("user-xyz", links.Api($"/api/users/{id}/map/{{z}}/{{x}}/{{y}}.mvt"), "application/vnd.mapbox-vector-tile"),
        };
        return Results.Json(new JsonObject { ["id"] = user.Id.ToString(), ["name"] = user.Name, ["label"] = user.Name, ["links"] = l }, ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> CollectionAsync(Guid id, HttpRequest request, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        if (WantsCsv(request))
        {
            return await CsvAsync(id, request, current, db, ct);
        }
        var (user, rows) = await UserSequencesAsync(id, request, current, db, "-created", ct);
        if (rows.Count == 0)
        {
            throw ApiException.NotFound($"User {user.Name} has no visible sequence");
        }
        var viewer = current.Viewer;
        var owner = viewer.IsAdmin || viewer.AccountId == id;
        var withBox = rows.Where(r => r.Bbox is not null).Select(r => r.Bbox!.Value).ToList();
        var bbox = withBox.Count == 0
            ? new JsonArray(-180.0, -90.0, 180.0, 90.0)
            : new JsonArray(withBox.Min(b => b.MinX), withBox.Min(b => b.MinY), withBox.Max(b => b.MaxX), withBox.Max(b => b.MaxY));
        var minT = rows.Where(r => r.MinCapturedAt is not null).Select(r => r.MinCapturedAt!.Value).DefaultIfEmpty().Min();
        var maxT = rows.Where(r => r.MaxCapturedAt is not null).Select(r => r.MaxCapturedAt!.Value).DefaultIfEmpty().Max();
        var l = SequenceLinks(request, links, rows, owner);
        var body = new JsonObject
        {
            ["type"] = "Collection",
            ["stac_version"] = "1.0.0",
            ["stac_extensions"] = new JsonArray(StacCollectionJson.StatsExtension),
            ["id"] = $"user:{id}",
            ["title"] = $"{user.Name}'s sequences",
            ["description"] = $"List of all sequences of user {user.Name}",
            ["license"] = options.Value.Instance.LicenseId,
            ["providers"] = new JsonArray(new JsonObject { ["name"] = user.Name, ["roles"] = new JsonArray("producer"), ["id"] = id.ToString() }),
            ["extent"] = new JsonObject
            {
                ["spatial"] = new JsonObject { ["bbox"] = new JsonArray(bbox) },
                ["temporal"] = new JsonObject { ["interval"] = new JsonArray(new JsonArray(minT == default ? null : StacTime.Utc(minT), maxT == default ? null : StacTime.Utc(maxT))) },
            },
            ["stats:collections"] = new JsonObject { ["count"] = rows.Count },
            ["stats:items"] = new JsonObject { ["count"] = rows.Sum(r => r.PictureCount) },
            ["created"] = StacTime.Utc(rows.Min(r => r.CreatedAt)),
            ["updated"] = StacTime.Utc(rows.Max(r => r.UpdatedAt)),
            ["links"] = l,
        };
        return Results.Json(body, ApiJson.Options, ApiJson.Json);
    }

    internal static async Task<IResult> CatalogAsync(Guid id, HttpRequest request, LinkBuilder links, CurrentViewer current, [ReadPool] NpgsqlDataSource db, CancellationToken ct)
    {
        var (user, rows) = await UserSequencesAsync(id, request, current, db, "+created", ct);
        var viewer = current.Viewer;
        var owner = viewer.IsAdmin || viewer.AccountId == id;
        var l = SequenceLinks(request, links, rows, owner);
        var body = new JsonObject
        {
            ["stac_version"] = "1.0.0",
            ["id"] = $"user:{id}",
            ["type"] = "Catalog",
            ["title"] = $"{user.Name}'s sequences",
            ["description"] = $"List of all sequences of user {user.Name}",
            ["links"] = l,
        };
        return Results.Json(body, ApiJson.Options, ApiJson.Json);
    }

    private static async Task<(UserRow User, List<CollectionRow> Rows)> UserSequencesAsync(Guid id, HttpRequest request, CurrentViewer current, NpgsqlDataSource db, string defaultSort, CancellationToken ct)
    {
        var (user, filter, sort) = await UserFilterAsync(id, request, db, defaultSort, ct);
        var limit = StacParams.Limit(request.Query["limit"], 1, 10_000, 1000);
        var rows = await CollectionQuery.ReadAsync(db, current.Viewer, filter, sort, null, limit, ct);
        return (user, rows);
    }

    /// <summary>The user (400 when unknown) and the <c>bbox</c>, <c>filter</c> and <c>sortby</c> of the request, shared by the JSON and CSV forms.</summary>
    private static async Task<(UserRow User, CollectionFilter Filter, IReadOnlyList<CollectionSort> Sort)> UserFilterAsync(
        Guid id, HttpRequest request, NpgsqlDataSource db, string defaultSort, CancellationToken ct)
    {
        var user = (await QueryUsersAsync(db, null, id, 1, ct)).FirstOrDefault()
            ?? throw ApiException.BadRequest($"Unknown user {id}");
        var q = request.Query;
        var bbox = StacParams.ParseBbox(q["bbox"]);
        var sort = CollectionEndpoints.ParseSort(q["sortby"], defaultSort);
        string? extra = null;
        IReadOnlyList<NpgsqlParameter> extraParams = [];
        if (!string.IsNullOrWhiteSpace(q["filter"]))
        {
            var (node, _) = CollectionEndpoints.ParseCollectionFilter(q["filter"]!);
            if (node is not null)
            {
                var holder = new FilterParameters();
                extra = holder.Translate(new Cql2Sql(Queryables.Collections, []), node);
                extraParams = holder.Detach();
            }
        }
        var filter = new CollectionFilter
        {
            AccountId = id,
            Bbox = bbox is null ? null : (bbox.MinX, bbox.MinY, bbox.MaxX, bbox.MaxY),
            IncludeUnpublishedForOwner = true,
            ExtraPredicate = extra,
            ExtraParameters = extraParams,
        };
        return (user, filter, sort);
    }

    /// <summary><c>format=csv</c> or <c>Accept: text/csv</c> asks for the CSV form; any other format is refused with the choices.</summary>
    private static bool WantsCsv(HttpRequest request)
    {
        var format = request.Query["format"].ToString();
        if (format.Length > 0)
        {
            return format.ToLowerInvariant() switch
            {
                "csv" => true,
                "json" => false,
                _ => throw ApiException.BadRequest($"Unknown format '{format}': use csv or json (the default)"),
            };
        }
        return request.Headers.Accept.Any(a => a is not null && a.Contains("text/csv", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// GeoVisio's CSV of a user's sequences: every sequence the caller may see in one answer (no paging, <c>limit</c> is
    /// ignored as GeoVisio does), honouring <c>bbox</c>, <c>filter</c> and <c>sortby</c>. Streamed page by page.
    /// </summary>
    private static async Task<IResult> CsvAsync(Guid id, HttpRequest request, CurrentViewer current, NpgsqlDataSource db, CancellationToken ct)
    {
        var (_, filter, sort) = await UserFilterAsync(id, request, db, "-created", ct);
        var viewer = current.Viewer;
        var owner = viewer.IsAdmin || viewer.AccountId == id;
        return Results.Stream(async body =>
        {
            await using var text = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 14, leaveOpen: true);
            await SequenceCsv.WriteAsync(text, db, viewer, filter, sort, withVisibility: owner, ct);
        }, SequenceCsv.ContentType);
    }

    /// <summary>root, parent, self, then one child link per sequence (with status and visibility for its owner).</summary>
    private static JsonArray SequenceLinks(HttpRequest request, LinkBuilder links, IEnumerable<CollectionRow> rows, bool owner)
    {
        var l = new JsonArray
        {
            StacCollectionJson.Link("root", links.Api("/api"), ApiJson.Json),
            StacCollectionJson.Link("parent", links.Api("/api"), ApiJson.Json),
            StacCollectionJson.Link("self", links.Base + request.Path + request.QueryString, ApiJson.Json),
        };
        foreach (var r in rows)
        {
            l.Add(ChildLink(r, links, owner));
        }
        return l;
    }

    private static JsonObject ChildLink(CollectionRow r, LinkBuilder links, bool owner)
    {
        var l = StacCollectionJson.Link("child", links.Api($"/api/collections/{r.Id}"), ApiJson.Json, r.Title);
        l["id"] = r.Id.ToString();
        l["stats:items"] = new JsonObject { ["count"] = r.PictureCount };
        l["created"] = StacTime.Utc(r.CreatedAt);
        l["updated"] = StacTime.Utc(r.UpdatedAt);
        l["geovisio:length_km"] = Math.Round(r.LengthKm, 3);
        var bbox = r.Bbox is { } b ? new JsonArray(b.MinX, b.MinY, b.MaxX, b.MaxY) : new JsonArray(-180.0, -90.0, 180.0, 90.0);
        l["extent"] = new JsonObject
        {
            ["spatial"] = new JsonObject { ["bbox"] = new JsonArray(bbox) },
            ["temporal"] = new JsonObject { ["interval"] = new JsonArray(new JsonArray(r.MinCapturedAt is { } a ? StacTime.Utc(a) : null, r.MaxCapturedAt is { } z ? StacTime.Utc(z) : null)) },
        };
        if (owner)
        {
            l["geovisio:status"] = r.Status;
            l["geovisio:visibility"] = r.Visibility;
        }
        return l;
    }

    private static JsonArray UserLinks(Guid id, LinkBuilder links) =>
    [
        StacCollectionJson.Link("user-info", links.Api($"/api/users/{id}"), ApiJson.Json),
        StacCollectionJson.Link("collection", links.Api($"/api/users/{id}/collection"), ApiJson.Json),
    ];

    /// <summary>Accounts by id or name (prefix matches first); says whether each has a public sequence.</summary>
    private static async Task<List<UserRow>> QueryUsersAsync(NpgsqlDataSource db, string? name, Guid? id, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand();
        var where = "a.is_default = false";
        if (id is { } i)
        {
            where += " AND a.id = @id";
            cmd.Parameters.AddWithValue("id", i);
        }
        var order = "a.name";
        if (name is not null)
        {
            where += " AND a.name ILIKE @pattern ESCAPE '\\'";
            var escaped = name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
            cmd.Parameters.AddWithValue("pattern", "%" + escaped + "%");
            cmd.Parameters.AddWithValue("prefix", escaped + "%");
            order = "(a.name ILIKE @prefix ESCAPE '\\') DESC, length(a.name), a.name";
        }
        cmd.CommandText = $"""
            SELECT a.id, a.name, EXISTS (SELECT 1 FROM sequences s WHERE s.account_id = a.id AND {VisibilitySql.Public("s")})
            FROM accounts a WHERE {where} ORDER BY {order} LIMIT @limit
            """;
        cmd.Parameters.AddWithValue("limit", limit);
        var list = new List<UserRow>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new UserRow(r.GetGuid(0), r.GetString(1), r.GetBoolean(2)));
        }
        return list;
    }
}
