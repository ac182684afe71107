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
                return await cmd.ExecuteScalarAsync(ct) is string name
                    ? new RenderedPayload(new JsonObject { ["id"] = id.ToString(), ["name"] = name }.ToJsonString(), 0)
                    : new RenderedPayload(null, 0);
            }
        }
    }

    private async Task<long> VersionAsync(string table, Guid id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"SELECT version FROM {table} WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        return await cmd.ExecuteScalarAsync(ct) is long v ? v : 0;
    }
}
