using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Sync;

namespace Panoramax.Federation.Legacy;

/// <summary>Summary of one harvest of one legacy source.</summary>
public sealed record HarvestOutcome(int Collections, int Pictures, int Rejected, string? Error);

/// <summary>
/// Harvests a legacy GeoVisio instance the way the meta-catalogue does (API doc §12): pages
/// <c>/api/collections?filter=status IN ('deleted','ready') AND updated &gt;= '&lt;cursor&gt;'&amp;sortby=+updated</c>
/// through <c>rel=next</c>, re-reads every item of each changed collection, and applies the result as replicated
/// records of the source's synthetic origin through the federation's <see cref="ChangeApplier"/>: same tables, same
/// "an older version never overwrites a newer one", tombstones never undone by a late upsert.
/// </summary>
/// <remarks>
/// Versions come from the source's clocks: a collection's is its <c>updated</c> (µs), a picture's the later of its own
/// <c>updated</c> and its collection's (any change on a picture bumps its collection there, and a re-shown collection
/// must win over the tombstones of its pictures). Tombstones carry the version they delete. One transaction per
/// collection (all its item pages or nothing); memory holds one page plus the ids of the collection being applied.
/// </remarks>
public sealed class LegacyHarvester(
    NpgsqlDataSource db,
    ChangeApplier applier,
    LegacySourceClient client,
    IOptions<AggregatorOptions> options,
    TimeProvider clock,
    ILogger<LegacyHarvester> logger)
{
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _running = new();

    /// <summary>Runs one harvest of the source (after the one going on, if any). Never throws for what the source answers.</summary>
    public async Task<HarvestOutcome> HarvestAsync(Guid source, CancellationToken ct)
    {
        var gate = _running.GetOrAdd(source, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await RunAsync(source, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<HarvestOutcome> RunAsync(Guid source, CancellationToken ct)
    {
        var run = await LoadAsync(source, ct);
        if (run is null)
        {
            return new HarvestOutcome(0, 0, 0, "unknown source");
        }
        string? fetchError = null;
        try
        {
            var visited = new HashSet<Uri>();
            for (Uri? next = ListUrl(run); next is not null && visited.Add(next);)
            {
                if (visited.Count > options.Value.MaxPages)
                {
                    throw new LegacyFetchException($"more than {options.Value.MaxPages} collection-list pages in one run (Panoramax:Aggregator:MaxPages); the next run goes on from the cursor");
                }
                using var page = await client.GetJsonAsync(source, next, ct);
                var root = page.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("collections", out var collections) || collections.ValueKind != JsonValueKind.Array)
                {
                    throw new LegacyFetchException($"{next} is not a collection list (no \"collections\" array)");
                }
                foreach (var c in collections.EnumerateArray())
                {
                    await CollectionAsync(run, c, ct);
                }
                await SaveCursorAsync(run, ct);
                next = NextLink(run, root, next);
            }
        }
        catch (LegacyFetchException e)
        {
            fetchError = e.Message;
        }
        var error = fetchError ?? run.FirstRejection;
        await RecordRunAsync(run, fetchError is null, error, ct);
        if (error is not null)
        {
            logger.LogWarning("Harvest of legacy source {Url}: {Error}", run.Url, error);
        }
        else if (run.Collections > 0)
        {
            logger.LogInformation("Harvest of legacy source {Url}: {Collections} collections, {Pictures} pictures applied", run.Url, run.Collections, run.Pictures);
        }
        return new HarvestOutcome(run.Collections, run.Pictures, run.Rejected, error);
    }

    private async Task CollectionAsync(HarvestRun run, JsonElement c, CancellationToken ct)
    {
        if (c.ValueKind != JsonValueKind.Object || !TryGuid(c, "id", out var id))
        {
            run.Reject("a collection without a valid id was skipped");
            return;
        }
        var updated = TryTime(c, "updated");
        if (updated is { } u && run.AlreadyDone(id, u))
        {
            return;
        }
        var status = c.TryGetProperty("geovisio:status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : "ready";
        try
        {
            if (status == "deleted")
            {
                // GeoVisio's tombstones are stubs without dates: they never move the cursor unless they carry one.
                await DeleteAsync(run, id, updated, ct);
            }
            else if (status == "ready")
            {
                await ApplyAsync(run, id, c, updated ?? throw new InvalidLegacyDataException($"collection {id} has no valid 'updated' date"), ct);
            }
        }
        catch (InvalidLegacyDataException e)
        {
            // Nothing of it was applied; it is read again once the source changes it.
            run.Reject(e.Message);
        }
        if (updated is { } done)
        {
            run.Advance(id, done);
        }
    }

    private async Task ApplyAsync(HarvestRun run, Guid id, JsonElement c, DateTimeOffset updated, CancellationToken ct)
    {
        var version = Micros(updated);
        var raw = c.GetRawText();
        try
        {
            _ = StacPayload.ReadSequence(raw);
        }
        catch (Exception e) when (StacPayload.IsUnreadable(e))
        {
            throw new InvalidLegacyDataException($"collection {id} is incomplete: {e.Message}");
        }
        if (!c.TryGetProperty("extent", out var extent) || extent.ValueKind != JsonValueKind.Object || !extent.TryGetProperty("spatial", out _))
        {
            throw new InvalidLegacyDataException($"collection {id} has no spatial extent (no geometry)");
        }
        var held = await SequenceAsync(id, ct);
        if (held is { } h && h.Origin != run.Source)
        {
            throw new InvalidLegacyDataException($"collection {id} is already held here with another origin");
        }
        if (held is { } same && same.Version >= version)
        {
            return;
        }

        await using var session = await applier.BeginAsync(run.Source, ct);
        await AppendAsync(session, [new(EntityKind.Sequence, id, ChangeOp.Upsert, version, raw)], ct);
        // Ranks move when pictures are removed or reordered there; the rewritten pictures take theirs again below.
        await ParkRanksAsync(session, id, ct);
        var seen = new HashSet<Guid>();
        var pictures = 0;
        var visited = new HashSet<Uri>();
        for (Uri? next = ItemsUrl(run, id, c); next is not null && visited.Add(next);)
        {
            if (visited.Count > options.Value.MaxPages)
            {
                throw new InvalidLegacyDataException($"collection {id} has more than {options.Value.MaxPages} item pages (Panoramax:Aggregator:MaxPages)");
            }
            using var page = await client.GetJsonAsync(run.Source, next, ct);
            var root = page.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
            {
                throw new LegacyFetchException($"{next} is not a list of items (no \"features\" array)");
            }
            var batch = new List<Change>();
            foreach (var f in features.EnumerateArray())
            {
                var item = ReadItem(f, id, version);
                if (seen.Add(item.EntityId))
                {
                    batch.Add(item);
                }
            }
            var known = await PictureVersionsAsync(session, [.. batch.Select(b => b.EntityId)], ct);
            var changed = new List<Change>(batch.Count);
            foreach (var b in batch)
            {
                if (!known.TryGetValue(b.EntityId, out var current))
                {
                    changed.Add(b);
                }
                else if (current.Origin != run.Source)
                {
                    throw new InvalidLegacyDataException($"picture {b.EntityId} of collection {id} is already held here with another origin");
                }
                else if (current.Version < b.Version)
                {
                    changed.Add(b);
                }
            }
            pictures += await AppendAsync(session, changed, ct);
            next = NextLink(run, root, next);
        }
        // Pictures the source no longer lists (deleted or hidden there) are tombstoned at the version they had.
        var gone = (await LivePicturesAsync(session, id, ct)).Where(p => !seen.Contains(p.Id))
            .Select(p => new Change(EntityKind.Picture, p.Id, ChangeOp.Tombstone, p.Version, null)).ToList();
        pictures += await AppendAsync(session, gone, ct);
        await UnparkRanksAsync(session, id, ct);
        await SaveCursorAsync(session.Connection, session.Transaction, run, run.After(id, updated), session.Now, ct);
        await session.CommitAsync(null, 0, ct);
        run.Collections++;
        run.Pictures += pictures;
    }

    private async Task DeleteAsync(HarvestRun run, Guid id, DateTimeOffset? updated, CancellationToken ct)
    {
        var held = await SequenceAsync(id, ct);
        if (held is not { } h || h.Origin != run.Source || h.Deleted)
        {
            return;
        }
        await using var session = await applier.BeginAsync(run.Source, ct);
        var changes = (await LivePicturesAsync(session, id, ct))
            .Select(p => new Change(EntityKind.Picture, p.Id, ChangeOp.Tombstone, p.Version, null)).ToList();
        changes.Add(new Change(EntityKind.Sequence, id, ChangeOp.Tombstone, h.Version, null));
        await AppendAsync(session, changes, ct);
        if (updated is { } u)
        {
            await SaveCursorAsync(session.Connection, session.Transaction, run, run.After(id, u), session.Now, ct);
        }
        await session.CommitAsync(null, 0, ct);
        run.Collections++;
        run.Pictures += changes.Count - 1;
    }

    /// <summary>One item, checked as the applier will read it: a Point, the fields a replicated picture needs, the right collection.</summary>
    private static Change ReadItem(JsonElement f, Guid collection, long collectionVersion)
    {
        var label = f.ValueKind == JsonValueKind.Object && f.TryGetProperty("id", out var fid) && fid.ValueKind == JsonValueKind.String ? fid.GetString() : "without id";
        if (f.ValueKind != JsonValueKind.Object
            || !f.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object
            || !g.TryGetProperty("type", out var type) || type.GetString() != "Point"
            || !g.TryGetProperty("coordinates", out var xy) || xy.ValueKind != JsonValueKind.Array || xy.GetArrayLength() < 2
            || xy[0].ValueKind != JsonValueKind.Number || xy[1].ValueKind != JsonValueKind.Number
            || Math.Abs(xy[0].GetDouble()) > 180 || Math.Abs(xy[1].GetDouble()) > 90)
        {
            throw new InvalidLegacyDataException($"item {label} of collection {collection} has no valid Point geometry");
        }
        var raw = f.GetRawText();
        PictureCopy p;
        try
        {
            p = StacPayload.ReadPicture(raw);
        }
        catch (Exception e) when (StacPayload.IsUnreadable(e))
        {
            throw new InvalidLegacyDataException($"item {label} of collection {collection} is incomplete: {e.Message}");
        }
        if (p.SequenceId != collection)
        {
            throw new InvalidLegacyDataException($"item {label} was listed in collection {collection} but says it belongs to {p.SequenceId}");
        }
        return new Change(EntityKind.Picture, p.Id, ChangeOp.Upsert, Math.Max(Micros(p.UpdatedAt), collectionVersion), raw);
    }

    /// <summary>Numbers the changes after the session's position and applies them; returns how many.</summary>
    private static async Task<int> AppendAsync(ApplySession session, IReadOnlyList<Change> changes, CancellationToken ct)
    {
        if (changes.Count == 0)
        {
            return 0;
        }
        var first = session.Seq + 1;
        var entries = new List<ChangeLogEntry>(changes.Count);
        for (var i = 0; i < changes.Count; i++)
        {
            var c = changes[i];
            entries.Add(new ChangeLogEntry
            {
                OriginInstanceId = session.Origin,
                Seq = first + i,
                EntityKind = c.Kind,
                EntityId = c.EntityId,
                Op = c.Op,
                EntityVersion = c.Version,
                Payload = c.Payload,
                PayloadHash = c.Payload is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(c.Payload)),
                SealedAt = session.Now,
                CreatedAt = session.Now,
            });
        }
        var result = await session.ApplyAsync(entries, ct);
        if (result.Rejected > 0)
        {
            // The applier refuses records (or their account) held here with another origin: the collection is not applied.
            throw new InvalidLegacyDataException(
                $"{result.Rejected} of {changes.Count} records from {changes[0].Kind} {changes[0].EntityId} on are held here with another origin (they or their account)");
        }
        return result.Applied;
    }

    /// <summary>
    /// Gives the collection's live pictures negative ranks, so that the new ranks the source lists can be written in any
    /// order without tripping over the unique (sequence, rank) of a picture not rewritten yet.
    /// </summary>
    private static async Task ParkRanksAsync(ApplySession session, Guid sequence, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pictures SET rank = -rank WHERE sequence_id = @s AND origin_instance_id = @o AND deleted_at IS NULL AND rank > 0
            """, session.Connection, session.Transaction);
        cmd.Parameters.AddWithValue("s", sequence);
        cmd.Parameters.AddWithValue("o", session.Origin);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Pictures listed but not rewritten (their own version was already newer) get their rank back when it is free.</summary>
    private static async Task UnparkRanksAsync(ApplySession session, Guid sequence, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE pictures p SET rank = -p.rank
            WHERE p.sequence_id = @s AND p.origin_instance_id = @o AND p.deleted_at IS NULL AND p.rank < 0
              AND NOT EXISTS (SELECT 1 FROM pictures q WHERE q.sequence_id = @s AND q.deleted_at IS NULL AND q.rank = -p.rank)
            """, session.Connection, session.Transaction);
        cmd.Parameters.AddWithValue("s", sequence);
        cmd.Parameters.AddWithValue("o", session.Origin);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<(Guid Origin, long Version, bool Deleted)?> SequenceAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT origin_instance_id, version, status = 'deleted' FROM sequences WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetGuid(0), r.GetInt64(1), r.GetBoolean(2)) : null;
    }

    private static async Task<Dictionary<Guid, (Guid Origin, long Version)>> PictureVersionsAsync(ApplySession session, Guid[] ids, CancellationToken ct)
    {
        var held = new Dictionary<Guid, (Guid, long)>(ids.Length);
        if (ids.Length == 0)
        {
            return held;
        }
        await using var cmd = new NpgsqlCommand("SELECT id, origin_instance_id, version FROM pictures WHERE id = ANY(@ids)", session.Connection, session.Transaction);
        cmd.Parameters.AddWithValue("ids", ids);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            held[r.GetGuid(0)] = (r.GetGuid(1), r.GetInt64(2));
        }
        return held;
    }

    private static async Task<List<(Guid Id, long Version)>> LivePicturesAsync(ApplySession session, Guid sequence, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT id, version FROM pictures WHERE sequence_id = @s AND origin_instance_id = @o AND status <> 'deleted' ORDER BY rank
            """, session.Connection, session.Transaction);
        cmd.Parameters.AddWithValue("s", sequence);
        cmd.Parameters.AddWithValue("o", session.Origin);
        var list = new List<(Guid, long)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add((r.GetGuid(0), r.GetInt64(1)));
        }
        return list;
    }

    private async Task<HarvestRun?> LoadAsync(Guid source, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT url, cursor_updated, cursor_ids FROM legacy_sources WHERE instance_id = @id");
        cmd.Parameters.AddWithValue("id", source);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }
        return new HarvestRun(source, r.GetString(0), r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<Guid[]>(2));
    }

    private async Task SaveCursorAsync(HarvestRun run, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await SaveCursorAsync(conn, null, run, (run.CursorUpdated, run.CursorIds.ToArray()), clock.GetUtcNow(), ct);
    }

    private static async Task SaveCursorAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, HarvestRun run, (DateTimeOffset? Updated, Guid[] Ids) cursor, DateTimeOffset now, CancellationToken ct)
    {
        if (cursor.Updated is null)
        {
            return;
        }
        await using var cmd = new NpgsqlCommand(
            "UPDATE legacy_sources SET cursor_updated = @u, cursor_ids = @ids, updated_at = @now WHERE instance_id = @id", conn, tx);
        cmd.Parameters.AddWithValue("u", cursor.Updated.Value);
        cmd.Parameters.AddWithValue("ids", cursor.Ids);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("id", run.Source);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task RecordRunAsync(HarvestRun run, bool walkedThrough, string? error, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE legacy_sources SET last_run_at = @now, last_success_at = CASE WHEN @ok THEN @now ELSE last_success_at END,
                last_error = @error, last_error_at = CASE WHEN @error IS NULL THEN last_error_at ELSE @now END,
                collections_applied = collections_applied + @c, pictures_applied = pictures_applied + @p,
                collections_rejected = collections_rejected + @r, updated_at = @now
            WHERE instance_id = @id;
            UPDATE instances SET last_sync_at = @now, last_error = @error WHERE id = @id;
            """);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("ok", walkedThrough);
        cmd.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Varchar) { Value = error is null ? DBNull.Value : error.Length > 2000 ? error[..2000] : error });
        cmd.Parameters.AddWithValue("c", (long)run.Collections);
        cmd.Parameters.AddWithValue("p", (long)run.Pictures);
        cmd.Parameters.AddWithValue("r", (long)run.Rejected);
        cmd.Parameters.AddWithValue("id", run.Source);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private Uri ListUrl(HarvestRun run)
    {
        var since = (run.CursorUpdated ?? DateTimeOffset.UnixEpoch).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);
        var filter = $"status IN ('deleted','ready') AND updated >= '{since}'";
        return new Uri(string.Create(CultureInfo.InvariantCulture,
            $"{run.Url}/api/collections?limit={options.Value.CollectionsPageSize}&sortby=%2Bupdated&filter={Uri.EscapeDataString(filter)}"));
    }

    /// <summary>The collection's <c>items</c> link (as the meta-catalogue follows it), else the standard route; with our page size.</summary>
    private Uri ItemsUrl(HarvestRun run, Guid id, JsonElement collection)
    {
        var href = Link(collection, "items") ?? $"{run.Url}/api/collections/{id}/items";
        var uri = OnSource(run, Uri.TryCreate(new Uri(run.Url + "/"), href, out var resolved) ? resolved
            : throw new LegacyFetchException($"collection {id} has an items link that is not a URL"));
        if (uri.Query.Contains("limit=", StringComparison.Ordinal))
        {
            return uri;
        }
        var separator = uri.Query.Length == 0 ? "?" : "&";
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{uri}{separator}limit={options.Value.ItemsPageSize}"));
    }

    private static Uri? NextLink(HarvestRun run, JsonElement page, Uri current) =>
        Link(page, "next") is { } href ? OnSource(run, Uri.TryCreate(current, href, out var next) ? next
            : throw new LegacyFetchException($"{current} has a next link that is not a URL")) : null;

    /// <summary>
    /// A link of the source's answers, kept on the source: followed with the source's own scheme and port (a GeoVisio
    /// behind a TLS proxy may write http:// links with its inner port), refused when it leads to another host. The
    /// source must not make this server fetch from elsewhere (its local network, a cloud metadata service).
    /// </summary>
    private static Uri OnSource(HarvestRun run, Uri link)
    {
        var source = new Uri(run.Url + "/");
        if (!string.Equals(link.Host, source.Host, StringComparison.OrdinalIgnoreCase))
        {
            throw new LegacyFetchException($"{source} links to {link.Scheme}://{link.Authority}, another host; only links on the source itself are followed");
        }
        return new UriBuilder(link) { Scheme = source.Scheme, Port = source.Port }.Uri;
    }

    private static string? Link(JsonElement doc, string rel)
    {
        if (!doc.TryGetProperty("links", out var links) || links.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        foreach (var l in links.EnumerateArray())
        {
            if (l.ValueKind == JsonValueKind.Object && l.TryGetProperty("rel", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() == rel
                && l.TryGetProperty("href", out var h) && h.ValueKind == JsonValueKind.String)
            {
                return h.GetString();
            }
        }
        return null;
    }

    private static bool TryGuid(JsonElement o, string name, out Guid id)
    {
        id = Guid.Empty;
        return o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && Guid.TryParse(v.GetString(), out id);
    }

    private static DateTimeOffset? TryTime(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUniversalTime() : null;

    /// <summary>A source timestamp as an entity version (µs since 1970, PostgreSQL's precision).</summary>
    private static long Micros(DateTimeOffset t) => (t.ToUniversalTime() - DateTimeOffset.UnixEpoch).Ticks / 10;

    private sealed record Change(EntityKind Kind, Guid EntityId, ChangeOp Op, long Version, string? Payload);

    /// <summary>The source served a collection we must not apply (missing fields, no geometry, ids clashing with another origin).</summary>
    private sealed class InvalidLegacyDataException(string message) : Exception(message);

    /// <summary>Where one harvest stands: the cursor (last <c>updated</c> + ids at that instant) and its counters.</summary>
    private sealed class HarvestRun(Guid source, string url, DateTimeOffset? cursor, IEnumerable<Guid> ids)
    {
        public Guid Source { get; } = source;
        public string Url { get; } = url;
        public DateTimeOffset? CursorUpdated { get; private set; } = cursor;
        public HashSet<Guid> CursorIds { get; } = [.. ids];
        public int Collections { get; set; }
        public int Pictures { get; set; }
        public int Rejected { get; private set; }
        public string? FirstRejection { get; private set; }

        public bool AlreadyDone(Guid id, DateTimeOffset updated) =>
            CursorUpdated is { } c && (updated < c || (updated == c && CursorIds.Contains(id)));

        /// <summary>The cursor once <paramref name="id"/> at <paramref name="updated"/> is done (without moving it yet).</summary>
        public (DateTimeOffset? Updated, Guid[] Ids) After(Guid id, DateTimeOffset updated)
        {
            if (CursorUpdated is not { } c || updated > c)
            {
                return (updated, new[] { id });
            }
            var ids = new HashSet<Guid>(CursorIds);
            if (updated == c)
            {
                ids.Add(id);
            }
            return (c, ids.ToArray());
        }

        public void Advance(Guid id, DateTimeOffset updated)
        {
            if (CursorUpdated is not { } c || updated > c)
            {
                CursorUpdated = updated;
                CursorIds.Clear();
                CursorIds.Add(id);
            }
            else if (updated == c)
            {
                CursorIds.Add(id);
            }
        }

        public void Reject(string why)
        {
            Rejected++;
            FirstRejection ??= why;
        }
    }
}
