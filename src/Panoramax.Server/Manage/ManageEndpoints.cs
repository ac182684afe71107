using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;
using Npgsql;
using Panoramax.Auth;
using Panoramax.Domain.Jobs;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence;
using Panoramax.Persistence.Jobs;
using Panoramax.Persistence.Manage;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Manage;

/// <summary>
/// Owners (and admins) managing what they published: edit and hide sequences and pictures, delete them, and sequence
/// surgery GeoVisio lacks (cut, merge, detach). Every route finds its target through the visibility policy (404 when
/// the caller cannot see it), checks <see cref="VisibilityPolicy.CanModify"/> (403), and commits through
/// <see cref="EditTransaction"/> so aggregates, versions and the change log move together; map caches follow at once.
/// </summary>
public static class ManageEndpoints
{
    private const int MaxTitle = 250;

    public static RouteGroupBuilder MapManage(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("").WithTags("Managing").RequireLogin();
        g.MapPatch("/collections/{id:guid}", PatchCollectionAsync).WithName("PatchCollection")
            .WithSummary("Edit a sequence: title, visibility (or deprecated visible), sortby (reorders ranks, recomputes computed headings), relative_heading, semantics");
        g.MapDelete("/collections/{id:guid}", DeleteCollectionAsync).WithName("DeleteCollection")
            .WithSummary("Delete a sequence: gone from every public route at once, a tombstone stays (show_deleted), files removed by a job");
        g.MapPatch("/collections/{collectionId:guid}/items/{id:guid}", PatchItemAsync).WithName("PatchItem")
            .WithSummary("Edit a picture: heading, visibility (or visible), capture_time, longitude+latitude, semantics");
        g.MapDelete("/collections/{collectionId:guid}/items/{id:guid}", DeleteItemAsync).WithName("DeleteItem")
            .WithSummary("Delete a picture: gone from every public route at once, files removed by a job");
        g.MapPost("/collections/{id:guid}/cut", CutAsync).WithName("CutCollection")
            .WithSummary("Cut a sequence in two at a picture ({\"item_id\"}): that picture and the following ones form a new sequence");
        g.MapPost("/collections/{id:guid}/merge", MergeAsync).WithName("MergeCollections")
            .WithSummary("Merge another sequence of the same owner into this one ({\"collection_id\"}); pictures are ordered by this sequence's sort key, the other becomes a tombstone");
        g.MapPost("/collections/{id:guid}/remove", RemoveAsync).WithName("RemoveFromCollection")
            .WithSummary("Take pictures out of a sequence ({\"item_ids\": [...]}): they form a new sequence of their own, kept with their ids");
        return api;
    }

    internal sealed record SequenceTarget(Guid Id, Guid AccountId, string Visibility, string Status, string SortedBy, string Semantics);

    internal sealed record PictureTarget(Guid Id, Guid AccountId, Guid SequenceId, string Semantics);

    // --- sequences ---------------------------------------------------------------------------------------------

    internal static async Task<IResult> PatchCollectionAsync(
        Guid id, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, NpgsqlDataSource db, LinkBuilder links,
        IOptions<PanoramaxOptions> options, IOptions<AuthOptions> auth, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var body = await EditBody.ReadAsync(request, ct);
        var mapChanged = false;
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var seq = await FindSequenceAsync(tx, viewer, id, ct) ?? throw ApiException.NotFound($"Collection {id} not found");
            if (body.IsEmpty)
            {
                return await CollectionEndpoints.GetAsync(id, links, current, db, options, ct);
            }
            var title = body.Text("title", MaxTitle);
            var visibility = ParseVisibility(body, auth.Value);
            string? sortOrder = null;
            var sortBy = body.Text("sortby", 20);
            if (sortBy is not null && !SequenceRanks.SortKeys.TryGetValue(sortBy, out sortOrder))
            {
                throw ApiException.BadRequest($"Unknown sort key '{sortBy}': sortby accepts {string.Join(", ", SequenceRanks.SortKeys.Keys)}", new { input = sortBy });
            }
            var relative = body.Number("relative_heading", -180, 180);
            var semantics = body.Raw("semantics");
            if (semantics is not null && !body.IsJson)
            {
                throw ApiException.BadRequest("semantics can only be sent as JSON");
            }
            if (body.Has("title") && string.IsNullOrEmpty(title))
            {
                throw ApiException.BadRequest("title cannot be empty");
            }
            var core = title is not null || visibility is not null || sortBy is not null || relative is not null;
            if (core && !VisibilityPolicy.CanModify(viewer, seq.AccountId))
            {
                throw ApiException.Forbidden("Only the owner of this sequence or an admin can change its title, visibility, order or headings");
            }

            if (title is not null)
            {
                await tx.ExecAsync("UPDATE sequences SET title = @t WHERE id = @id", ct, ("t", title), ("id", id));
            }
            if (visibility is { } vis && vis != seq.Visibility)
            {
                if (vis != "owner-only" && !viewer.IsAdmin && await Moderation.IsTakenDownAsync(tx, null, id, ct))
                {
                    throw ApiException.Forbidden("This sequence was taken down by a moderator: only an admin can publish it again");
                }
                await tx.ExecAsync("UPDATE sequences SET visibility = @v WHERE id = @id", ct, ("v", vis), ("id", id));
                tx.TouchPictures(await tx.PictureIdsAsync(id, false, ct));
                mapChanged = true;
            }
            if (sortOrder is not null)
            {
                await SequenceRanks.RenumberAsync(tx.Connection, tx.Transaction, id, sortOrder, ct);
                await SequenceRanks.RecomputeHeadingsAsync(tx.Connection, tx.Transaction, id, 0, onlyComputed: true, markAsUser: false, ct);
                await tx.ExecAsync("UPDATE sequences SET sorted_by = @s WHERE id = @id", ct, ("s", sortBy), ("id", id));
                tx.TouchPictures(await tx.PictureIdsAsync(id, false, ct));
                mapChanged = true;
            }
            if (relative is { } offset)
            {
                await SequenceRanks.RecomputeHeadingsAsync(tx.Connection, tx.Transaction, id, (int)Math.Round(offset), onlyComputed: false, markAsUser: true, ct);
                tx.TouchPictures(await tx.PictureIdsAsync(id, false, ct));
                mapChanged = true;
            }
            if (semantics is { } tags)
            {
                await tx.ExecAsync("UPDATE sequences SET semantics = @s::jsonb WHERE id = @id", ct, ("s", SemanticsUpdate.Apply(seq.Semantics, tags)), ("id", id));
            }
            tx.TouchSequence(id);
            await tx.CommitAsync(ct);
        }
        if (mapChanged)
        {
            await map.AfterEditAsync();
        }
        return await CollectionEndpoints.GetAsync(id, links, current, db, options, ct);
    }

    internal static async Task<IResult> DeleteCollectionAsync(Guid id, CurrentViewer current, PanoramaxDbContext ef, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var seq = await FindSequenceAsync(tx, viewer, id, ct) ?? throw ApiException.NotFound($"Collection {id} not found");
            RequireModify(viewer, seq.AccountId, "delete this sequence");
            var pictures = await tx.PictureIdsAsync(id, false, ct);
            await DeletePicturesAsync(tx, pictures, clock, ct);
            await tx.ExecAsync("UPDATE sequences SET status = 'deleted', deleted_at = @now WHERE id = @id", ct, ("now", tx.Now), ("id", id));
            tx.TouchPictures(pictures);
            tx.TouchSequence(id);
            await tx.CommitAsync(ct);
        }
        await map.AfterEditAsync();
        return Results.NoContent();
    }

    // --- pictures ----------------------------------------------------------------------------------------------

    internal static async Task<IResult> PatchItemAsync(
        Guid collectionId, Guid id, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, NpgsqlDataSource db, LinkBuilder links,
        IOptions<PanoramaxOptions> options, IOptions<AuthOptions> auth, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var body = await EditBody.ReadAsync(request, ct);
        var mapChanged = false;
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var pic = await FindPictureAsync(tx, viewer, collectionId, id, ct) ?? throw ApiException.NotFound($"Picture {id} not found in collection {collectionId}");
            if (body.IsEmpty)
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
            var heading = body.Number("heading", 0, 360);
            var visibility = ParseVisibility(body, auth.Value);
            DateTimeOffset? captured = null;
            short? offsetMinutes = null;
            if (body.Text("capture_time", 64) is { } ct2)
            {
                if (!DateTimeOffset.TryParse(ct2, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
                {
                    throw ApiException.BadRequest("capture_time must be an ISO 8601 date and time (e.g. 2024-05-01T10:00:00+02:00)", new { input = ct2 });
                }
                captured = t.ToUniversalTime();
                offsetMinutes = (short)t.Offset.TotalMinutes;
            }
            var lon = body.Number("longitude", -180, 180);
            var lat = body.Number("latitude", -90, 90);
            if ((lon is null) != (lat is null))
            {
                throw ApiException.BadRequest("longitude and latitude must be given together");
            }
            var semantics = body.Raw("semantics");
            if (semantics is not null && !body.IsJson)
            {
                throw ApiException.BadRequest("semantics can only be sent as JSON");
            }
            var core = heading is not null || visibility is not null || captured is not null || lon is not null;
            if (!core && semantics is null)
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
            if (core && !VisibilityPolicy.CanModify(viewer, pic.AccountId))
            {
                throw ApiException.Forbidden("Only the owner of this picture or an admin can change its position, time, heading or visibility");
            }

            if (heading is { } h)
            {
                await tx.ExecAsync("UPDATE pictures SET heading = @h, heading_from_user = true WHERE id = @id", ct, ("h", h % 360), ("id", id));
            }
            if (visibility is { } vis)
            {
                if (vis != "owner-only" && !viewer.IsAdmin && await Moderation.IsTakenDownAsync(tx, id, null, ct))
                {
                    throw ApiException.Forbidden("This picture was taken down by a moderator: only an admin can publish it again");
                }
                await tx.ExecAsync("UPDATE pictures SET visibility = @v WHERE id = @id", ct, ("v", vis), ("id", id));
            }
            if (captured is { } c)
            {
                await tx.ExecAsync("UPDATE pictures SET captured_at = @t, capture_utc_offset_minutes = @o WHERE id = @id", ct, ("t", c), ("o", offsetMinutes), ("id", id));
            }
            if (lon is { } x && lat is { } y)
            {
                var point = new Point(x, y) { SRID = 4326 };
                if (await ExcludedAreas.ContainsAsync(ef, pic.AccountId, point, ct))
                {
                    throw ApiException.BadRequest("This position is inside an excluded area, where pictures may not be published");
                }
                await tx.ExecAsync("UPDATE pictures SET location = ST_SetSRID(ST_MakePoint(@x, @y), 4326) WHERE id = @id", ct, ("x", x), ("y", y), ("id", id));
            }
            if (semantics is { } tags)
            {
                await tx.ExecAsync("UPDATE pictures SET semantics = @s::jsonb WHERE id = @id", ct, ("s", SemanticsUpdate.Apply(pic.Semantics, tags)), ("id", id));
            }
            mapChanged = core;
            tx.TouchPicture(id);
            tx.TouchSequence(pic.SequenceId);
            await tx.CommitAsync(ct);
        }
        if (mapChanged)
        {
            await map.AfterEditAsync();
        }
        return await ItemEndpoints.GetAsync(id, links, current, db, options, ct);
    }

    internal static async Task<IResult> DeleteItemAsync(Guid collectionId, Guid id, CurrentViewer current, PanoramaxDbContext ef, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var pic = await FindPictureAsync(tx, viewer, collectionId, id, ct) ?? throw ApiException.NotFound($"Picture {id} not found in collection {collectionId}");
            RequireModify(viewer, pic.AccountId, "delete this picture");
            await DeletePicturesAsync(tx, [id], clock, ct);
            tx.TouchPicture(id);
            tx.TouchSequence(pic.SequenceId);
            await tx.CommitAsync(ct);
        }
        await map.AfterEditAsync();
        return Results.NoContent();
    }

    // --- sequence surgery --------------------------------------------------------------------------------------

    internal static async Task<IResult> CutAsync(
        Guid id, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, NpgsqlDataSource db, LinkBuilder links,
        IOptions<PanoramaxOptions> options, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var body = await EditBody.ReadAsync(request, ct);
        var at = body.Id("item_id") ?? throw ApiException.BadRequest("item_id (the first picture of the new sequence) is required");
        Guid created;
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var seq = await FindSequenceAsync(tx, viewer, id, ct) ?? throw ApiException.NotFound($"Collection {id} not found");
            RequireModify(viewer, seq.AccountId, "cut this sequence");
            int? rank = null, first = null;
            await using (var cmd = tx.Command("""
                SELECT (SELECT rank FROM pictures WHERE id = @p AND sequence_id = @s AND deleted_at IS NULL),
                       (SELECT min(rank) FROM pictures WHERE sequence_id = @s AND deleted_at IS NULL)
                """, ("p", at), ("s", id)))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                rank = r.IsDBNull(0) ? null : r.GetInt32(0);
                first = r.IsDBNull(1) ? null : r.GetInt32(1);
            }
            if (rank is null)
            {
                throw ApiException.BadRequest($"Picture {at} is not in sequence {id}: a sequence can only be cut at one of its own pictures");
            }
            if (rank == first)
            {
                throw ApiException.BadRequest("Cutting at the first picture would leave an empty sequence: choose a later picture");
            }
            created = await SequenceRanks.CloneEmptyAsync(tx.Connection, tx.Transaction, id, Guid.CreateVersion7(tx.Now), tx.Now, ct);
            await SequenceRanks.MoveAsync(tx.Connection, tx.Transaction, id, created, "rank >= @cut", ct, ("cut", rank.Value));
            await FinishSurgeryAsync(tx, [id, created], ct);
            await tx.CommitAsync(ct);
        }
        await map.AfterEditAsync();
        return await CollectionsAsync([id, created], current, db, links, options, ct);
    }

    internal static async Task<IResult> MergeAsync(
        Guid id, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, NpgsqlDataSource db, LinkBuilder links,
        IOptions<PanoramaxOptions> options, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var body = await EditBody.ReadAsync(request, ct);
        var otherId = body.Id("collection_id") ?? throw ApiException.BadRequest("collection_id (the sequence to merge into this one) is required");
        if (otherId == id)
        {
            throw ApiException.BadRequest("A sequence cannot be merged with itself");
        }
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var seq = await FindSequenceAsync(tx, viewer, id, ct) ?? throw ApiException.NotFound($"Collection {id} not found");
            var other = await FindSequenceAsync(tx, viewer, otherId, ct) ?? throw ApiException.NotFound($"Collection {otherId} not found");
            RequireModify(viewer, seq.AccountId, "merge this sequence");
            RequireModify(viewer, other.AccountId, "merge that sequence");
            if (seq.AccountId != other.AccountId)
            {
                throw ApiException.BadRequest("Sequences of two different owners cannot be merged");
            }
            await SequenceRanks.MoveAsync(tx.Connection, tx.Transaction, otherId, id, "TRUE", ct);
            await tx.ExecAsync("UPDATE sequences SET status = 'deleted', deleted_at = @now WHERE id = @id", ct, ("now", tx.Now), ("id", otherId));
            SequenceRanks.SortKeys.TryGetValue(seq.SortedBy, out var order);
            await SequenceRanks.RenumberAsync(tx.Connection, tx.Transaction, id, order, ct);
            await SequenceRanks.RecomputeHeadingsAsync(tx.Connection, tx.Transaction, id, 0, onlyComputed: true, markAsUser: false, ct);
            await FinishSurgeryAsync(tx, [id, otherId], ct);
            await tx.CommitAsync(ct);
        }
        await map.AfterEditAsync();
        return await CollectionEndpoints.GetAsync(id, links, current, db, options, ct);
    }

    internal static async Task<IResult> RemoveAsync(
        Guid id, HttpRequest request, CurrentViewer current, PanoramaxDbContext ef, NpgsqlDataSource db, LinkBuilder links,
        IOptions<PanoramaxOptions> options, MapRefresh map, TimeProvider clock, CancellationToken ct)
    {
        var viewer = current.Viewer;
        var body = await EditBody.ReadAsync(request, ct);
        var items = body.Ids("item_ids").Distinct().ToList();
        if (items.Count is 0 or > 10_000)
        {
            throw ApiException.BadRequest("item_ids must list between 1 and 10000 pictures of the sequence");
        }
        Guid created;
        await using (var tx = await EditTransaction.BeginAsync(ef, clock, ct))
        {
            var seq = await FindSequenceAsync(tx, viewer, id, ct) ?? throw ApiException.NotFound($"Collection {id} not found");
            RequireModify(viewer, seq.AccountId, "change this sequence");
            var live = await tx.PictureIdsAsync(id, false, ct);
            var missing = items.Except(live).ToList();
            if (missing.Count > 0)
            {
                throw ApiException.BadRequest($"{missing.Count} of the pictures are not in sequence {id}", new { missing });
            }
            if (missing.Count == 0 && items.Count == live.Count)
            {
                throw ApiException.BadRequest("Removing every picture would leave an empty sequence: delete the sequence instead");
            }
            created = await SequenceRanks.CloneEmptyAsync(tx.Connection, tx.Transaction, id, Guid.CreateVersion7(tx.Now), tx.Now, ct);
            await SequenceRanks.MoveAsync(tx.Connection, tx.Transaction, id, created, "id = ANY(@ids)", ct, ("ids", items.ToArray()));
            await FinishSurgeryAsync(tx, [id, created], ct);
            await tx.CommitAsync(ct);
        }
        await map.AfterEditAsync();
        return await CollectionsAsync([id, created], current, db, links, options, ct);
    }

    /// <summary>Compacts ranks and recomputes derived headings of every sequence involved, and marks all their pictures changed.</summary>
    private static async Task FinishSurgeryAsync(EditTransaction tx, IReadOnlyList<Guid> sequences, CancellationToken ct)
    {
        foreach (var s in sequences)
        {
            await SequenceRanks.RenumberAsync(tx.Connection, tx.Transaction, s, null, ct);
            await SequenceRanks.RecomputeHeadingsAsync(tx.Connection, tx.Transaction, s, 0, onlyComputed: true, markAsUser: false, ct);
            tx.TouchPictures(await tx.PictureIdsAsync(s, false, ct));
            tx.TouchSequence(s);
        }
    }

    // --- shared ------------------------------------------------------------------------------------------------

    /// <summary>Marks pictures deleted (hidden everywhere at once) and queues the durable removal of their files.</summary>
    internal static async Task DeletePicturesAsync(EditTransaction tx, IReadOnlyList<Guid> ids, TimeProvider clock, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return;
        }
        await tx.ExecAsync("UPDATE pictures SET deleted_at = @now, status = 'waiting-for-delete' WHERE id = ANY(@ids) AND deleted_at IS NULL", ct,
            ("now", tx.Now), ("ids", ids.ToArray()));
        foreach (var pid in ids)
        {
            await JobQueue.EnqueueAsync(tx.Db, JobKinds.DeletePictureFiles, pid, clock, ct);
        }
    }

    private static void RequireModify(Viewer viewer, Guid owner, string what)
    {
        if (!VisibilityPolicy.CanModify(viewer, owner))
        {
            throw ApiException.Forbidden($"Only the owner or an admin can {what}");
        }
    }

    private static string? ParseVisibility(EditBody body, AuthOptions auth)
    {
        var visibility = body.Text("visibility", 32);
        var visible = body.Text("visible", 8);
        if (visibility is not null && visible is not null)
        {
            throw ApiException.BadRequest("Give visibility or the deprecated visible, not both");
        }
        if (visible is not null)
        {
            return visible.ToUpperInvariant() switch
            {
                "TRUE" => "anyone",
                "FALSE" => "owner-only",
                _ => throw ApiException.BadRequest("visible must be true or false", new { input = visible }),
            };
        }
        if (visibility is null)
        {
            return null;
        }
        if (visibility == "logged-only" && auth.RegistrationIsOpen)
        {
            throw ApiException.BadRequest("logged-only visibility is only possible when registration is closed on this instance");
        }
        return visibility is "anyone" or "owner-only" or "logged-only"
            ? visibility
            : throw ApiException.BadRequest("visibility must be one of anyone, owner-only, logged-only", new { input = visibility });
    }

    /// <summary>The sequence if this viewer may see it (owners and admins also their unpublished ones), locked for the edit.</summary>
    internal static async Task<SequenceTarget?> FindSequenceAsync(EditTransaction tx, Viewer viewer, Guid id, CancellationToken ct)
    {
        await using var cmd = tx.Command("");
        var visible = VisibilitySql.Predicate("s", viewer, cmd.Parameters, publishedOnly: false);
        cmd.CommandText = $"SELECT s.id, s.account_id, s.visibility, s.status, s.sorted_by, s.semantics::text, {CopySql.OriginNameOfCopy("s")} FROM sequences s WHERE s.id = @id AND {visible} FOR UPDATE";
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        RefuseCopy("collection", r, 6);
        return new SequenceTarget(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5));
    }

    /// <summary>
    /// Copies of other instances' records are changed by their origin only: an edit here would be overwritten by the
    /// origin's next version (or, older than it, would hold the copy back for good). Moderators hide them with a takedown.
    /// </summary>
    private static void RefuseCopy(string what, NpgsqlDataReader r, int column)
    {
        if (!r.IsDBNull(column))
        {
            throw ApiException.Conflict(
                $"This {what} comes from {r.GetString(column)}, another instance of the network, and only changes there. " +
                "To stop showing it here, an administrator can take it down (POST /api/moderation/takedown) or filter or block its origin (/admin/federation).");
        }
    }

    /// <summary>The picture if this viewer may see it and its sequence, and it belongs to <paramref name="collectionId"/>; locked for the edit.</summary>
    /// <remarks>Copies of other instances' pictures are refused (409) unless <c>allowCopy</c>: the caller refuses them itself, after its own checks.</remarks>
    internal static async Task<PictureTarget?> FindPictureAsync(EditTransaction tx, Viewer viewer, Guid collectionId, Guid id, CancellationToken ct, bool allowCopy = false)
    {
        await using var cmd = tx.Command("");
        var pv = VisibilitySql.Predicate("p", viewer, cmd.Parameters, publishedOnly: false);
        var sv = VisibilitySql.Predicate("s", viewer, cmd.Parameters, publishedOnly: false);
        cmd.CommandText = $"""
            SELECT p.id, p.account_id, p.sequence_id, p.semantics::text, {CopySql.OriginNameOfCopy("p")} FROM pictures p JOIN sequences s ON s.id = p.sequence_id
            WHERE p.id = @id AND p.sequence_id = @seq AND {pv} AND {sv} FOR UPDATE OF p
            """;
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("seq", collectionId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        if (!allowCopy)
        {
            RefuseCopy("picture", r, 4);
        }
        return new PictureTarget(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3));
    }

    private static async Task<IResult> CollectionsAsync(IReadOnlyList<Guid> ids, CurrentViewer current, NpgsqlDataSource db, LinkBuilder links, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var array = new JsonArray();
        foreach (var id in ids)
        {
            var rows = await CollectionQuery.ReadAsync(db, current.Viewer, new CollectionFilter { Id = id, IncludeUnpublishedForOwner = true }, [new CollectionSort("id", false)], null, 1, ct);
            if (rows.FirstOrDefault() is { } row)
            {
                array.Add(StacCollectionJson.Build(row, links, options.Value.Instance.LicenseId, single: true, showVisibility: true));
            }
        }
        return Results.Json(new JsonObject { ["collections"] = array }, ApiJson.Options, ApiJson.Json);
    }
}
