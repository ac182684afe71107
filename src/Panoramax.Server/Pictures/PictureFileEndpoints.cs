using System.Globalization;
using Npgsql;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Pictures;

/// <summary>
/// Picture files (<c>hd.jpg</c>, <c>sd.jpg</c>, <c>thumb.jpg</c>, 360° tiles) and collection thumbnails, served from
/// the blob store with GeoVisio's rules: 404 for unknown or invisible pictures, 403 while a picture or its sequence
/// is still processing (except for its owner), 500 when a ready picture's file is missing (a server fault).
/// A picture copied from a peer or harvested from another instance has no file here: its routes redirect to the
/// origin's file, so URLs built from this instance's templates (the viewer's map previews) still show it.
/// </summary>
public static class PictureFileEndpoints
{
    private const string Jpeg = "image/jpeg";

    public static RouteGroupBuilder MapPictureFiles(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("").WithTags("Pictures");
        // HEAD too: caches and download tools ask for the size and validators first.
        string[] getOrHead = [HttpMethods.Get, HttpMethods.Head];
        files.MapMethods("/pictures/{id}/tiled/{tile}", getOrHead, GetTileAsync).WithName("GetPictureTile").WithSummary("One tile of a 360° picture ({col}_{row}.jpg, 0_0 top-left)");
        files.MapMethods("/pictures/{id}/{file}", getOrHead, GetPictureFileAsync).WithName("GetPictureFile").WithSummary("HD, SD or thumbnail JPEG of a picture (hd.jpg, sd.jpg, thumb.jpg)");
        files.MapMethods("/collections/{id}/thumb.jpg", getOrHead, GetCollectionThumbAsync).WithName("GetCollectionThumb").WithSummary("Thumbnail of the first visible picture of a collection");
        return api;
    }

    internal static async Task GetPictureFileAsync(
        string id, string file, HttpContext context, [ReadPool] NpgsqlDataSource db, IBlobStore store, CurrentViewer viewer, ILoggerFactory logs, CancellationToken ct)
    {
        var kind = file switch
        {
            "hd.jpg" => FileKind.Hd,
            "sd.jpg" => FileKind.Sd,
            "thumb.jpg" => FileKind.Thumb,
            _ when file.StartsWith("hd.", StringComparison.Ordinal) || file.StartsWith("sd.", StringComparison.Ordinal) || file.StartsWith("thumb.", StringComparison.Ordinal)
                => throw ApiException.NotFound("Only jpg pictures are available"),
            _ => throw ApiException.NotFound($"Unknown picture file '{file}': use hd.jpg, sd.jpg or thumb.jpg"),
        };
        var picture = await FindAsync(db, id, viewer.Viewer, ct);
        if (picture.Remote is { } remote)
        {
            RedirectToOrigin(context, kind switch
            {
                FileKind.Hd => remote.Hd,
                FileKind.Sd => remote.Sd,
                _ => remote.Thumb,
            }, file, picture.IsPublic);
            return;
        }
        var key = kind switch
        {
            FileKind.Hd => picture.HdKey,
            FileKind.Sd => picture.SdKey,
            _ => picture.ThumbKey,
        };
        await ServeAsync(context, store, picture, key, logs, ct);
    }

    internal static async Task GetTileAsync(
        string id, string tile, HttpContext context, [ReadPool] NpgsqlDataSource db, IBlobStore store, CurrentViewer viewer, ILoggerFactory logs, CancellationToken ct)
    {
        if (!tile.EndsWith(".jpg", StringComparison.Ordinal))
        {
            throw ApiException.NotFound("Only jpg tiles are available");
        }
        var parts = tile[..^4].Split('_');
        if (parts.Length != 2 || !TryParseIndex(parts[0], out var col) || !TryParseIndex(parts[1], out var row))
        {
            throw ApiException.NotFound($"Unknown tile '{tile}': tiles are named {{col}}_{{row}}.jpg");
        }
        var picture = await FindAsync(db, id, viewer.Viewer, ct);
        if (picture.Kind != PictureKind.Equirectangular || (picture.TilesPrefix is null && picture.Remote is null)
            || picture.TileCols is not { } cols || picture.TileRows is not { } rows)
        {
            throw ApiException.NotFound("This picture has no tiles (only 360° pictures are tiled)");
        }
        if (col >= cols || row >= rows)
        {
            throw ApiException.NotFound($"Tile {col}_{row} is outside this picture's {cols}x{rows} tiles");
        }
        if (picture.Remote is { } remote)
        {
            // The origin's STAC tile template, with the tile matrix's own placeholders.
            RedirectToOrigin(context, remote.Tiles?
                .Replace("{TileCol}", col.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{TileRow}", row.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), tile, picture.IsPublic);
            return;
        }
        var prefix = picture.TilesPrefix!.EndsWith('/') ? picture.TilesPrefix : picture.TilesPrefix + "/";
        await ServeAsync(context, store, picture, string.Create(CultureInfo.InvariantCulture, $"{prefix}{col}_{row}.jpg"), logs, ct);
    }

    internal static async Task GetCollectionThumbAsync(
        string id, HttpContext context, [ReadPool] NpgsqlDataSource db, IBlobStore store, CurrentViewer viewer, ILoggerFactory logs, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var sequenceId))
        {
            throw ApiException.NotFound($"Collection {id} not found");
        }
        await using var cmd = db.CreateCommand();
        // The first published picture the caller may see, in a sequence the caller may see (the one policy, in SQL).
        var sequenceVisible = VisibilitySql.Predicate("s", viewer.Viewer, cmd.Parameters);
        var pictureVisible = VisibilitySql.Predicate("p", viewer.Viewer, cmd.Parameters);
        cmd.CommandText = $"""
            SELECT p.id, p.thumb_key, p.visibility = 'anyone' AND s.visibility = 'anyone', p.remote_assets::text
            FROM sequences s JOIN pictures p ON p.sequence_id = s.id
            WHERE s.id = @id AND {sequenceVisible} AND {pictureVisible}
            ORDER BY p.rank
            LIMIT 1
            """;
        cmd.Parameters.AddWithValue("id", sequenceId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw ApiException.NotFound($"Collection {id} not found or has no visible picture");
        }
        var picture = new PictureFiles(reader.GetGuid(0), IsPublic: reader.GetBoolean(2), IsPublished: true)
        {
            ThumbKey = NullableString(reader, 1),
            Remote = RemoteAssets.Parse(NullableString(reader, 3)),
        };
        await reader.DisposeAsync();
        if (picture.Remote is { } remote)
        {
            RedirectToOrigin(context, remote.Thumb, "thumb.jpg", picture.IsPublic);
            return;
        }
        await ServeAsync(context, store, picture, picture.ThumbKey, logs, ct);
    }

    private static async Task ServeAsync(HttpContext context, IBlobStore store, PictureFiles picture, string? key, ILoggerFactory logs, CancellationToken ct)
    {
        // GET only: a presigned GET is signed for that method, a HEAD is answered here from the store's metadata.
        if (picture.IsPublic && key is not null && HttpMethods.IsGet(context.Request.Method) && store is IBlobDownloadLinks links)
        {
            var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            if (await links.GetDownloadLinkAsync(key, now, ct) is { } link)
            {
                RedirectToStore(context, link, now);
                return;
            }
        }
        var info = key is null ? null : await store.GetInfoAsync(key, ct);
        if (info is null)
        {
            if (!picture.IsPublished)
            {
                // The owner looking at a picture whose derivatives are not made yet: nothing wrong.
                throw ApiException.NotFound("This file of the picture is not available yet");
            }
            logs.CreateLogger("Panoramax.Pictures").LogError(
                "Picture {PictureId} is ready but its file {Key} is missing from storage ({Path})", picture.Id, key ?? "(no key recorded)", context.Request.Path);
            throw new ApiException(StatusCodes.Status500InternalServerError, "The file of this picture is missing on the server: the problem was logged; please report it to the instance administrator");
        }
        await BlobResponses.ServeAsync(context, store, info, Jpeg, picture.IsPublic, ct);
    }

    /// <summary>
    /// 302 to the origin's copy of a file, cached like a file of ours (a copy taken down here by its moderators is
    /// seen by them only: not in shared caches); not permanent, the origin may move its files.
    /// </summary>
    private static void RedirectToOrigin(HttpContext context, string? href, string file, bool isPublic)
    {
        if (href is null)
        {
            throw ApiException.NotFound($"The instance this picture comes from publishes no {file} for it");
        }
        context.Response.Headers.CacheControl = isPublic ? BlobResponses.PublicCacheControl : BlobResponses.PrivateCacheControl;
        context.Response.Redirect(href);
    }

    /// <summary>
    /// 302 to a presigned link on the store for a public file (only those: a link is a bearer capability, so files
    /// visible to some callers only keep going through the visibility check here). The redirect is cached no longer
    /// than the same link is handed out; the link outlives that by a whole window, so a cached redirect still works.
    /// </summary>
    private static void RedirectToStore(HttpContext context, BlobDownloadLink link, DateTimeOffset now)
    {
        var remaining = link.ShareUntil - now;
        context.Response.Headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"public, max-age={Math.Max(0, (long)remaining.TotalSeconds)}");
        context.Response.Redirect(link.Url.AbsoluteUri);
    }

    /// <summary>Loads the picture and applies the visibility policy: 404 when unknown or not visible, 403 while processing.</summary>
    private static async Task<PictureFiles> FindAsync(NpgsqlDataSource db, string id, Viewer viewer, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var pictureId))
        {
            throw ApiException.NotFound($"Picture {id} not found");
        }
        await using var cmd = db.CreateCommand("""
            SELECT p.account_id, p.visibility, p.status, p.deleted_at IS NOT NULL, p.kind,
                   p.hd_key, p.sd_key, p.thumb_key, p.tiles_prefix, p.tile_cols, p.tile_rows,
                   s.account_id, s.visibility, s.status, s.deleted_at IS NOT NULL, p.processed_at IS NOT NULL,
                   p.license_filtered OR coalesce(s.license_filtered, false), p.remote_assets::text
            FROM pictures p LEFT JOIN sequences s ON s.id = p.sequence_id
            WHERE p.id = @id
            """);
        cmd.Parameters.AddWithValue("id", pictureId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            throw ApiException.NotFound($"Picture {id} not found");
        }
        var owner = r.GetGuid(0);
        var visibility = ApiNames.ParseApiName<Visibility>(r.GetString(1));
        var status = ApiNames.ParseApiName<PictureStatus>(r.GetString(2));
        // Hidden by its origin's licence filter: as absent as a deleted picture, for everyone.
        var deleted = r.GetBoolean(3) || status is PictureStatus.Deleted or PictureStatus.WaitingForDelete || r.GetBoolean(16);
        var hasSequence = !r.IsDBNull(11);
        var sequenceVisible = !hasSequence
            || (!r.GetBoolean(14) && VisibilityPolicy.CanSee(viewer, ApiNames.ParseApiName<Visibility>(r.GetString(12)), r.GetGuid(11)));
        if (deleted || !VisibilityPolicy.CanSee(viewer, visibility, owner) || !sequenceVisible)
        {
            throw ApiException.NotFound($"Picture {id} not found");
        }
        var sequenceStatus = hasSequence ? ApiNames.ParseApiName<SequenceStatus>(r.GetString(13)) : SequenceStatus.Ready;
        var published = status == PictureStatus.Ready && sequenceStatus == SequenceStatus.Ready;
        if (!published && !VisibilityPolicy.CanSeeUnpublished(viewer, owner))
        {
            // Published before and processing again: a blur correction is being applied.
            throw ApiException.Forbidden(status == PictureStatus.Preparing && r.GetBoolean(15)
                ? "Picture is currently in processing: more of it is being blurred, it is back in a moment"
                : "Picture is currently in processing");
        }
        var sequencePublic = !hasSequence || ApiNames.ParseApiName<Visibility>(r.GetString(12)) == Visibility.Anyone;
        return new PictureFiles(pictureId, IsPublic: published && visibility == Visibility.Anyone && sequencePublic, IsPublished: published)
        {
            HdKey = NullableString(r, 5),
            Kind = ApiNames.ParseApiName<PictureKind>(r.GetString(4)),
            SdKey = NullableString(r, 6),
            ThumbKey = NullableString(r, 7),
            TilesPrefix = NullableString(r, 8),
            TileCols = r.IsDBNull(9) ? null : r.GetInt32(9),
            TileRows = r.IsDBNull(10) ? null : r.GetInt32(10),
            Remote = RemoteAssets.Parse(NullableString(r, 17)),
        };
    }

    private static string? NullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>Plain non-negative decimal (no sign, no spaces), as the viewer asks for tiles.</summary>
    private static bool TryParseIndex(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && text.Length <= 4;

    private enum FileKind
    {
        Hd,
        Sd,
        Thumb,
    }

    private sealed record PictureFiles(Guid Id, bool IsPublic, bool IsPublished)
    {
        public string? HdKey { get; init; }
        public PictureKind Kind { get; init; }
        public string? SdKey { get; init; }
        public string? ThumbKey { get; init; }
        public string? TilesPrefix { get; init; }
        public int? TileCols { get; init; }
        public int? TileRows { get; init; }
        /// <summary>The origin's hrefs of a replicated or harvested picture (its files are not stored here).</summary>
        public RemoteAssets? Remote { get; init; }
    }
}
