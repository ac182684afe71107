using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Domain.Federation;
using Panoramax.Domain.Visibility;
using Panoramax.Federation;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Federation;

/// <summary>
/// The feed's payloads are exactly the STAC documents we serve anonymously, rendered with absolute hrefs to our files.
/// Reading through the anonymous viewer is what guarantees that only public, ready, non-deleted records are rendered.
/// </summary>
internal sealed class StacPayloadRenderer(NpgsqlDataSource db, IFederationHost host, IOptions<PanoramaxOptions> options) : IPayloadRenderer
{
    public async Task<RenderedPayload> RenderAsync(EntityKind kind, Guid id, CancellationToken ct)
    {
        var links = LinkBuilder.ForBase(host.PublicBaseUrl);
        var license = options.Value.Instance.LicenseId;
        switch (kind)
        {
            case EntityKind.Picture:
            {
                var rows = await ItemQuery.ReadAsync(db, Viewer.Anonymous, new ItemFilter { Ids = [id], WithNeighbours = false }, ItemOrder.Rank, 1, null, ct);
                if (rows is not [var row] || row.RemoteAssetsJson is not null)
                {
                    return new RenderedPayload(null, await VersionAsync("pictures", id, ct));
                }
                return new RenderedPayload(Encoding.UTF8.GetString(StacItemJson.ToUtf8(row, links, license)), row.Version);
            }
            case EntityKind.Sequence:
            {
                var rows = await CollectionQuery.ReadAsync(db, Viewer.Anonymous, new CollectionFilter { Id = id }, [new CollectionSort("id", false)], null, 1, ct);
                if (rows is not [var row] || !row.Visible)
                {
                    return new RenderedPayload(null, await VersionAsync("sequences", id, ct));
                }
                var cameras = await CollectionQuery.CamerasAsync(db, Viewer.Anonymous, id, ct);
                var json = StacCollectionJson.Build(row, links, license, single: true, showVisibility: true, cameras);
                return new RenderedPayload(json.ToJsonString(ApiJson.Options), await VersionAsync("sequences", id, ct));
            }
            default:
            {
                await using var cmd = db.CreateCommand("SELECT name FROM accounts WHERE id = @id");
                cmd.Parameters.AddWithValue("id", id);
                return await cmd.ExecuteScalarAsync(ct) is string name ? Account(id, name) : new RenderedPayload(null, 0);
            }
        }
    }

    /// <summary>
    /// The same documents as <see cref="RenderAsync"/>, a few set-based reads per batch instead of two or three
    /// round trips per record: per-record reads were what held the sealer under a thousand entries a second.
    /// </summary>
    public async Task<IReadOnlyList<RenderedPayload>> RenderManyAsync(IReadOnlyList<RenderRequest> records, CancellationToken ct)
    {
        var links = LinkBuilder.ForBase(host.PublicBaseUrl);
        var license = options.Value.Instance.LicenseId;
        var done = new Dictionary<RenderRequest, RenderedPayload>(records.Count);
        var pictures = Distinct(records, EntityKind.Picture);
        var sequences = Distinct(records, EntityKind.Sequence);
        var accounts = Distinct(records, EntityKind.Account);

        if (pictures.Count > 0)
        {
            var rows = await ItemQuery.ReadAsync(db, Viewer.Anonymous, new ItemFilter { Ids = pictures, WithNeighbours = false }, ItemOrder.Rank, null, null, ct);
            foreach (var row in rows)
            {
                if (row.RemoteAssetsJson is null)
                {
                    done[new(EntityKind.Picture, row.Id)] = new RenderedPayload(Encoding.UTF8.GetString(StacItemJson.ToUtf8(row, links, license)), row.Version);
                }
            }
            // Not public (any more), replicated or gone: a tombstone with the current version.
            var hidden = pictures.Where(id => !done.ContainsKey(new(EntityKind.Picture, id))).ToList();
            foreach (var (id, version) in await VersionsAsync("pictures", hidden, ct))
            {
                done[new(EntityKind.Picture, id)] = new RenderedPayload(null, version);
            }
        }

        if (sequences.Count > 0)
        {
            // Sequences carry their version whatever they render to, as RenderAsync does.
            var versions = await VersionsAsync("sequences", sequences, ct);
            var rows = await CollectionQuery.ReadAsync(db, Viewer.Anonymous, new CollectionFilter { Ids = sequences }, [new CollectionSort("id", false)], null, sequences.Count, ct);
            var visible = rows.Where(r => r.Visible).ToList();
            var cameras = await CollectionQuery.CamerasManyAsync(db, Viewer.Anonymous, [.. visible.Select(r => r.Id)], ct);
            foreach (var row in visible)
            {
                var json = StacCollectionJson.Build(row, links, license, single: true, showVisibility: true, cameras[row.Id]);
                done[new(EntityKind.Sequence, row.Id)] = new RenderedPayload(json.ToJsonString(ApiJson.Options), versions.GetValueOrDefault(row.Id));
            }
            foreach (var (id, version) in versions)
            {
                done.TryAdd(new(EntityKind.Sequence, id), new RenderedPayload(null, version));
            }
        }

        if (accounts.Count > 0)
        {
            await using var cmd = db.CreateCommand("SELECT id, name FROM accounts WHERE id = ANY(@ids)");
            cmd.Parameters.AddWithValue("ids", accounts.ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var id = r.GetGuid(0);
                done[new(EntityKind.Account, id)] = Account(id, r.GetString(1));
            }
        }

        // Whatever no read found no longer exists: a tombstone at version 0.
        return [.. records.Select(r => done.TryGetValue(r, out var payload) ? payload : new RenderedPayload(null, 0))];
    }

    private static List<Guid> Distinct(IReadOnlyList<RenderRequest> records, EntityKind kind) =>
        [.. records.Where(r => r.Kind == kind).Select(r => r.Id).Distinct()];

    private static RenderedPayload Account(Guid id, string name) =>
        new(new JsonObject { ["id"] = id.ToString(), ["name"] = name }.ToJsonString(), 0);

    private async Task<Dictionary<Guid, long>> VersionsAsync(string table, List<Guid> ids, CancellationToken ct)
    {
        var versions = new Dictionary<Guid, long>(ids.Count);
        if (ids.Count == 0)
        {
            return versions;
        }
        await using var cmd = db.CreateCommand($"SELECT id, version FROM {table} WHERE id = ANY(@ids)");
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            versions[r.GetGuid(0)] = r.GetInt64(1);
        }
        return versions;
    }

    private async Task<long> VersionAsync(string table, Guid id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"SELECT version FROM {table} WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteScalarAsync(ct) is long v ? v : 0;
    }
}
