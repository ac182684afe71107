using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;
using Panoramax.Domain.Abstractions;

namespace Panoramax.Storage.S3;

/// <summary>
/// Any S3-compatible object store (MinIO, Garage, cloud providers) through the Minio client. S3 PUTs are atomic
/// by nature. Reads go through a presigned GET on our own HttpClient: one request (Minio's GetObject adds a HEAD
/// first), a plain pull stream instead of Minio's callback, and standard Range headers. Writes up to 5 GiB go
/// through a presigned single PUT streamed from the source (Minio reads every multipart part, 16 MiB and more,
/// into memory, several times over); bigger ones use Minio's multipart upload. With direct downloads on, it also
/// signs links for browsers, on the endpoint they reach.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IBlobDownloadLinks, IDisposable
{
    private const int PresignSeconds = 300;
    private const int DeleteBatch = 1000;
    private const long MaxSinglePut = 5L * 1024 * 1024 * 1024;
    private readonly IMinioClient _client;
    /// <summary>Signs direct-download links for the host browsers use (the same client when no public endpoint is set).</summary>
    private readonly IMinioClient _linkSigner;
    private readonly HttpClient _http;
    private readonly S3StorageOptions _options;
    private readonly ILogger<S3BlobStore> _logger;
    private readonly string _bucket;

    public S3BlobStore(S3StorageOptions options, ILogger<S3BlobStore> logger)
    {
        _options = options;
        _logger = logger;
        _bucket = options.Bucket is { Length: > 0 } b ? b : throw new ArgumentException("Panoramax:Storage:S3:Bucket is required", nameof(options));
        var (host, port, ssl) = ParseEndpoint(options);
        _client = BuildClient(options, host, port, ssl);
        if (options.PublicEndpoint is { Length: > 0 } publicEndpoint)
        {
            var uri = new Uri(publicEndpoint);
            _linkSigner = BuildClient(options, uri.Host, uri.Port, uri.Scheme == Uri.UriSchemeHttps);
        }
        else
        {
            _linkSigner = _client;
        }
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            // An unreachable store fails fast; transfers themselves are bounded by the callers' cancellation, not a timer.
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    private static IMinioClient BuildClient(S3StorageOptions options, string host, int port, bool ssl)
    {
        // The region is given, so signing never asks the store for the bucket's location.
        var builder = new MinioClient().WithEndpoint(host, port).WithSSL(ssl).WithRegion(options.Region);
        if (!string.IsNullOrEmpty(options.AccessKey))
        {
            builder = builder.WithCredentials(options.AccessKey, options.SecretKey);
        }
        return builder.Build();
    }

    /// <summary>Checks the bucket (creating it when allowed), so a wrong endpoint or key fails at start-up.</summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        if (await _client.BucketExistsAsync(new BucketExistsArgs().WithBucket(_bucket), ct))
        {
            return;
        }
        if (!_options.CreateBucket)
        {
            throw new InvalidOperationException($"S3 bucket '{_bucket}' does not exist (Panoramax:Storage:S3:CreateBucket is false)");
        }
        _logger.LogInformation("Creating S3 bucket {Bucket}", _bucket);
        await _client.MakeBucketAsync(new MakeBucketArgs().WithBucket(_bucket).WithLocation(_options.Region), ct);
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct)
    {
        BlobKeys.EnsureValid(key);
        var type = string.IsNullOrEmpty(contentType) ? ContentTypes.FromKey(key) : contentType;
        if (content.CanSeek)
        {
            await PutSizedAsync(key, content, content.Length - content.Position, type, ct);
            return;
        }
        // S3 needs the size up front, and Minio would allocate its largest part for an unknown size:
        // spool to a temp file (deleted on close), never to memory.
        var spool = Path.Combine(string.IsNullOrEmpty(_options.SpoolDirectory) ? Path.GetTempPath() : _options.SpoolDirectory, $"panoramax-s3-{Guid.NewGuid():N}.spool");
        await using var file = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81_920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await content.CopyToAsync(file, ct);
        file.Position = 0;
        await PutSizedAsync(key, file, file.Length, type, ct);
    }

    private async Task PutSizedAsync(string key, Stream content, long size, string contentType, CancellationToken ct)
    {
        if (size > MaxSinglePut)
        {
            await _client.PutObjectAsync(new PutObjectArgs().WithBucket(_bucket).WithObject(key).WithStreamData(content).WithObjectSize(size).WithContentType(contentType), ct);
            return;
        }
        var url = await _client.PresignedPutObjectAsync(new PresignedPutObjectArgs().WithBucket(_bucket).WithObject(key).WithExpiry(PresignSeconds));
        // The body is exactly `size` bytes from the current position: the store never reads past what it announced.
        using var body = new StreamContent(new BoundedReadStream(new NonDisposingStream(content), size), 81_920);
        body.Headers.ContentLength = size;
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = body };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var error = await response.Content.ReadAsStringAsync(ct);
            throw new IOException($"S3 PUT of '{key}' answered {(int)response.StatusCode} {response.ReasonPhrase}: {error[..Math.Min(error.Length, 500)]}");
        }
    }

    public async Task<BlobInfo?> GetInfoAsync(string key, CancellationToken ct)
    {
        BlobKeys.EnsureValid(key);
        try
        {
            var stat = await _client.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject(key), ct);
            var modified = DateTime.SpecifyKind(stat.LastModified, stat.LastModified.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : stat.LastModified.Kind);
            var type = string.IsNullOrEmpty(stat.ContentType) ? ContentTypes.FromKey(key) : stat.ContentType;
            return new BlobInfo(key, stat.Size, new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero), QuoteETag(stat.ETag), type);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    public async Task<Stream?> OpenReadAsync(string key, long offset, long? length, CancellationToken ct)
    {
        BlobKeys.EnsureValid(key);
        BlobKeys.EnsureValidRange(offset, length);
        if (length == 0)
        {
            // "bytes=N-(N-1)" is not a valid range: answer the empty read without asking, but still say whether the key exists.
            return await GetInfoAsync(key, ct) is null ? null : new MemoryStream([], writable: false);
        }
        var url = await _client.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(_bucket).WithObject(key).WithExpiry(PresignSeconds));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0 || length is not null)
        {
            request.Headers.Range = new RangeHeaderValue(offset, length is { } l ? offset + l - 1 : null);
        }
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        try
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.NotFound:
                    response.Dispose();
                    return null;
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    response.Dispose();
                    // Past the end: nothing to read (the caller checks ranges against GetInfoAsync).
                    return new MemoryStream([], writable: false);
                case HttpStatusCode.PartialContent:
                    var start = response.Content.Headers.ContentRange?.From;
                    if (start != offset)
                    {
                        throw new IOException($"S3 answered range {response.Content.Headers.ContentRange} for offset {offset} of '{key}'");
                    }
                    return new BoundedReadStream(await response.Content.ReadAsStreamAsync(ct), length, response);
                case HttpStatusCode.OK:
                    // A store that ignores Range (allowed by RFC 9110) sends the whole object: skip to the offset.
                    var body = await response.Content.ReadAsStreamAsync(ct);
                    await SkipAsync(body, offset, ct);
                    return new BoundedReadStream(body, length, response);
                default:
                    throw new IOException($"S3 GET of '{key}' answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async ValueTask<BlobDownloadLink?> GetDownloadLinkAsync(string key, DateTimeOffset now, CancellationToken ct)
    {
        if (!_options.DirectDownloads)
        {
            return null;
        }
        BlobKeys.EnsureValid(key);
        // Signed as of the window's start: every request of the window gets the same URL (shared caches, browser
        // caches keyed by URL), valid until two windows after that start, so a link handed out at the window's end
        // still has a whole window to be used.
        var window = _options.DirectDownloadWindow;
        var start = new DateTimeOffset(now.UtcTicks - now.UtcTicks % window.Ticks, TimeSpan.Zero);
        var url = await _linkSigner.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(_bucket).WithObject(key)
            .WithRequestDate(start.UtcDateTime).WithExpiry((int)(2 * window).TotalSeconds));
        return new BlobDownloadLink(new Uri(url), start + window);
    }

    public async ValueTask<Uri?> GetPrivateDownloadLinkAsync(string key, string fileName, TimeSpan lifetime, CancellationToken ct)
    {
        if (!_options.DirectDownloads)
        {
            return null;
        }
        BlobKeys.EnsureValid(key);
        // S3's response overrides (part of the signed query): the store names the download and forbids caching it.
        var url = await _linkSigner.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(_bucket).WithObject(key)
            .WithExpiry((int)Math.Ceiling(lifetime.TotalSeconds))
            .WithHeaders(new Dictionary<string, string>
            {
                ["response-content-disposition"] = new ContentDispositionHeaderValue("attachment") { FileName = fileName }.ToString(),
                ["response-cache-control"] = "private, no-store",
            }));
        return new Uri(url);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        // S3 deletes are idempotent and say nothing about existence: ask first.
        if (await GetInfoAsync(key, ct) is null)
        {
            return false;
        }
        await _client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_bucket).WithObject(key), ct);
        return true;
    }

    public async Task<int> DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        BlobKeys.EnsureValidPrefix(prefix, allowEmpty: false);
        var deleted = 0;
        var batch = new List<string>(DeleteBatch);
        await foreach (var key in ListAsync(prefix, ct))
        {
            batch.Add(key);
            if (batch.Count == DeleteBatch)
            {
                deleted += await RemoveBatchAsync(batch, ct);
                batch.Clear();
            }
        }
        if (batch.Count > 0)
        {
            deleted += await RemoveBatchAsync(batch, ct);
        }
        return deleted;
    }

    private async Task<int> RemoveBatchAsync(List<string> keys, CancellationToken ct)
    {
        var errors = await _client.RemoveObjectsAsync(new RemoveObjectsArgs().WithBucket(_bucket).WithObjects(keys), ct);
        if (errors.Count > 0)
        {
            throw new IOException($"S3 could not delete {errors.Count} of {keys.Count} objects, first: {errors[0].Key}: {errors[0].Message}");
        }
        return keys.Count;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        BlobKeys.EnsureValidPrefix(prefix, allowEmpty: true);
        await foreach (var item in _client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(_bucket).WithPrefix(prefix).WithRecursive(true), ct))
        {
            if (!item.IsDir)
            {
                yield return item.Key;
            }
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _client.Dispose();
        if (!ReferenceEquals(_linkSigner, _client))
        {
            _linkSigner.Dispose();
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken ct)
    {
        var buffer = new byte[Math.Min(count, 81_920)];
        while (count > 0)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), ct);
            if (n == 0)
            {
                return;
            }
            count -= n;
        }
    }

    private static string QuoteETag(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";

    internal static (string Host, int Port, bool Ssl) ParseEndpoint(S3StorageOptions options)
    {
        var endpoint = options.Endpoint is { Length: > 0 } e ? e : throw new ArgumentException("Panoramax:Storage:S3:Endpoint is required", nameof(options));
        if (endpoint.Contains("://", StringComparison.Ordinal))
        {
            var uri = new Uri(endpoint);
            return (uri.Host, uri.Port, uri.Scheme == Uri.UriSchemeHttps);
        }
        var uriFromHost = new Uri((options.UseSsl ? "https://" : "http://") + endpoint);
        return (uriFromHost.Host, uriFromHost.Port, options.UseSsl);
    }
}
