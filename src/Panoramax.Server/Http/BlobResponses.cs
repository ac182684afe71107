using System.Globalization;
using Microsoft.Net.Http.Headers;
using Panoramax.Domain.Abstractions;

namespace Panoramax.Server.Http;

/// <summary>
/// Streams a stored file as an HTTP response with validators and single byte ranges: ETag/If-None-Match (304),
/// Range/If-Range (206, 416), Accept-Ranges, Cache-Control. Stores hand out plain (possibly non-seekable) streams,
/// so ranges are resolved here and asked of the store, never by seeking a whole file.
/// </summary>
public static class BlobResponses
{
    /// <summary>Public files may sit in shared caches for an hour; ETags make revalidation cheap afterwards.</summary>
    public const string PublicCacheControl = "public, max-age=3600";
    public const string PrivateCacheControl = "private, no-cache";

    public static async Task ServeAsync(HttpContext context, IBlobStore store, BlobInfo info, string contentType, bool isPublic, CancellationToken ct)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.GetTypedHeaders();
        response.Headers.CacheControl = isPublic ? PublicCacheControl : PrivateCacheControl;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = info.ETag;
        headers.LastModified = info.LastModified;

        var etag = EntityTagHeaderValue.Parse(info.ETag);
        var ifNoneMatch = request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Count > 0 && ifNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        long offset = 0, length = info.Length;
        var range = RangeRequested(request, etag, info);
        if (range is { } r)
        {
            if (!TryResolve(r, info.Length, out offset, out length))
            {
                response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes */{info.Length}");
                await ApiError.Result(StatusCodes.Status416RangeNotSatisfiable, $"Range {request.Headers.Range} is outside the file ({info.Length} bytes)").ExecuteAsync(context);
                return;
            }
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {offset}-{offset + length - 1}/{info.Length}");
        }

        response.ContentType = contentType;
        response.ContentLength = length;
        if (HttpMethods.IsHead(request.Method))
        {
            return;
        }
        await using var stream = await store.OpenReadAsync(info.Key, offset, range is null ? null : length, ct)
            ?? throw new FileNotFoundException($"Storage object {info.Key} disappeared while being served");
        await stream.CopyToAsync(response.Body, 81_920, ct);
    }

    /// <summary>The one byte range to honour, or null for the whole file (no Range, several ranges, other units, stale If-Range).</summary>
    private static RangeItemHeaderValue? RangeRequested(HttpRequest request, EntityTagHeaderValue etag, BlobInfo info)
    {
        var typed = request.GetTypedHeaders();
        var range = typed.Range;
        if (range is null || !string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || range.Ranges.Count != 1)
        {
            return null;
        }
        var ifRange = typed.IfRange;
        if (ifRange is not null)
        {
            var fresh = ifRange.EntityTag is { } tag
                ? tag.Compare(etag, useStrongComparison: true)
                : ifRange.LastModified is { } since && info.LastModified <= since;
            if (!fresh)
            {
                return null;
            }
        }
        return range.Ranges.Single();
    }

    private static bool TryResolve(RangeItemHeaderValue range, long size, out long offset, out long length)
    {
        offset = 0;
        length = 0;
        if (range.From is { } from)
        {
            if (from >= size)
            {
                return false;
            }
            var to = Math.Min(range.To ?? size - 1, size - 1);
            offset = from;
            length = to - from + 1;
            return true;
        }
        if (range.To is { } suffix && suffix > 0 && size > 0)
        {
            length = Math.Min(suffix, size);
            offset = size - length;
            return true;
        }
        return false;
    }
}
