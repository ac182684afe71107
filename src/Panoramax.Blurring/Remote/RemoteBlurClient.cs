using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using NetVips;
using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring.Remote;

/// <summary>
/// Blurring done by another Panoramax instance or an SGBlur service (<c>POST {url}/blur/</c>), for instances that
/// cannot run the models themselves. Understands both answers a blurring service gives: multipart (<c>image</c> +
/// <c>metadata</c>) and the legacy bare JPEG with the metadata in the <c>x-sgblur</c> header. Retries, backoff and
/// timeouts come from the HttpClient's resilience pipeline (configured where it is registered).
/// </summary>
public sealed class RemoteBlurClient : IPictureBlurrer
{
    private readonly HttpClient _http;
    private readonly Uri _blurUrl;

    public RemoteBlurClient(HttpClient http, BlurringOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.RemoteUrl) || !Uri.TryCreate(options.RemoteUrl.TrimEnd('/') + "/blur/", UriKind.Absolute, out var url))
        {
            throw new ArgumentException($"{BlurringOptions.SectionName}:RemoteUrl must be an absolute URL, got '{options.RemoteUrl}'");
        }
        _http = http;
        _blurUrl = url;
    }

    public Uri BlurUrl => _blurUrl;

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="isEquirectangular"/> is not sent: the blurring API has no such field, services read it from
    /// the picture's XMP. Failures of the service throw <see cref="RemoteBlurringException"/>, never a verdict on the
    /// picture (a 400 from the service says so in its status code).
    /// </remarks>
    public async Task<BlurResult> BlurAsync(Stream jpeg, Stream output, bool isEquirectangular, CancellationToken cancellationToken = default)
    {
        var total = Stopwatch.StartNew();
        // The request body must be re-readable for retries, and owned by us (the content disposes it).
        var spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (spool)
        {
            await jpeg.CopyToAsync(spool, cancellationToken);
            spool.Position = 0;
            using var form = new MultipartFormDataContent();
            var picture = new StreamContent(spool);
            picture.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(picture, "picture", "picture.jpg");
            using var request = new HttpRequestMessage(HttpMethod.Post, _blurUrl) { Content = form };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("multipart/form-data"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/jpeg", 0.5));

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not RemoteBlurringException)
            {
                // Network errors, timeouts, an open circuit: all mean "try later".
                throw new RemoteBlurringException($"The blurring service {_blurUrl} could not be reached: {ex.Message}", null, ex);
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var text = await ReadSomeAsync(response.Content, cancellationToken);
                    throw new RemoteBlurringException($"The blurring service {_blurUrl} answered {(int)response.StatusCode}: {text}", (int)response.StatusCode);
                }
                var (image, metadata) = await ReadAnswerAsync(response, cancellationToken);
                var (width, height) = SizeOf(image);
                await output.WriteAsync(image, cancellationToken);
                var detections = BlurMetadata.TryParseDetections(metadata) ?? [];
                var elapsed = total.Elapsed;
                return new BlurResult(detections, width, height, new BlurTimings(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero, elapsed));
            }
        }
    }

    private async Task<(byte[] Image, string? Metadata)> ReadAnswerAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var type = response.Content.Headers.ContentType;
        try
        {
            if (string.Equals(type?.MediaType, "multipart/form-data", StringComparison.OrdinalIgnoreCase)
                || (type?.MediaType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) ?? false))
            {
                var boundary = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(type!.Parameters.FirstOrDefault(p => string.Equals(p.Name, "boundary", StringComparison.OrdinalIgnoreCase))?.Value).Value;
                if (string.IsNullOrEmpty(boundary))
                {
                    throw new RemoteBlurringException($"The blurring service {_blurUrl} sent a multipart answer without boundary", (int)response.StatusCode);
                }
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                var reader = new MultipartReader(boundary, body) { BodyLengthLimit = null };
                byte[]? image = null;
                string? metadata = null;
                while (await reader.ReadNextSectionAsync(ct) is { } section)
                {
                    var name = section.GetContentDispositionHeader()?.Name.Value?.Trim('"');
                    using var buffer = new MemoryStream();
                    await section.Body.CopyToAsync(buffer, ct);
                    if (name == "image")
                    {
                        image = buffer.ToArray();
                    }
                    else if (name == "metadata")
                    {
                        metadata = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
                    }
                }
                return (image ?? throw new RemoteBlurringException($"The blurring service {_blurUrl} answered without an 'image' part", (int)response.StatusCode), metadata);
            }
            if (type?.MediaType?.StartsWith("image/", StringComparison.OrdinalIgnoreCase) ?? false)
            {
                var header = response.Headers.TryGetValues("x-sgblur", out var values) ? string.Join(",", values) : null;
                return (await response.Content.ReadAsByteArrayAsync(ct), header);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or InvalidDataException)
        {
            throw new RemoteBlurringException($"The answer of the blurring service {_blurUrl} was cut or malformed: {ex.Message}", (int)response.StatusCode, ex);
        }
        throw new RemoteBlurringException($"The blurring service {_blurUrl} answered with {type?.MediaType ?? "no content type"}, expected a picture or multipart/form-data", (int)response.StatusCode);
    }

    private (int Width, int Height) SizeOf(byte[] image)
    {
        try
        {
            // Only the header is read: the size the caller records for the (possibly rotated) picture.
            using var header = Image.NewFromBuffer(image, access: Enums.Access.Sequential);
            return (header.Width, header.Height);
        }
        catch (VipsException ex)
        {
            throw new RemoteBlurringException($"The blurring service {_blurUrl} returned something that is not a picture: {ex.Message}", null, ex);
        }
    }

    private static async Task<string> ReadSomeAsync(HttpContent content, CancellationToken ct)
    {
        var text = await content.ReadAsStringAsync(ct);
        return text.Length > 500 ? text[..500] + "…" : text;
    }
}

/// <summary>
/// The remote blurring service failed (unreachable, timeout, non-2xx, unreadable answer). Not a verdict on the
/// picture: the job keeps it unpublished and tries again later.
/// </summary>
public sealed class RemoteBlurringException : Exception
{
    public RemoteBlurringException(string message, int? statusCode, Exception? innerException = null) : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public RemoteBlurringException(string message) : base(message)
    {
    }

    public RemoteBlurringException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public RemoteBlurringException()
    {
    }

    /// <summary>The HTTP status the service answered, when it answered.</summary>
    public int? StatusCode { get; }
}
