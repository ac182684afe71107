using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using NetVips;
using Panoramax.Blurring;
using Panoramax.Blurring.Detection;
using Panoramax.Blurring.Remote;
using Panoramax.Server.Http;

namespace Panoramax.Server.Blur;

/// <summary>
/// <c>POST /blur/</c>: the Panoramax blurring API (what SGBlur answers), so other instances can use ours as their
/// blurring service. A multipart <c>picture</c> in; the blurred JPEG out, either bare with the detections in the
/// <c>x-sgblur</c> header, or (when <c>Accept</c> asks for <c>multipart/form-data</c>) as parts <c>image</c> and
/// <c>metadata</c>. <c>keep=1</c> is accepted and ignored: this service keeps nothing, so there is nothing to un-blur.
/// </summary>
public static class BlurEndpoints
{
    public const string ServiceName = "Panoramax C# blur";
    public const string MetadataHeader = "x-sgblur";

    // Multipart framing and small form fields on top of the picture itself.
    private const long EnvelopeBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapBlur(this IEndpointRouteBuilder app)
    {
        // The template matches /blur and /blur/ (routing ignores a trailing slash).
        app.MapPost("/blur/", BlurAsync)
            .WithTags("Blurring")
            .WithName("Blur")
            .WithSummary("Blur faces and licence plates of a picture (multipart part 'picture'; keep=1 is accepted and ignored)")
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg", additionalContentTypes: "multipart/form-data")
            .Produces<ApiError>(StatusCodes.Status400BadRequest)
            .Produces<ApiError>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ApiError>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ApiError>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    internal static async Task BlurAsync(
        HttpContext context, IPictureBlurrer blurrer, BlurJobGate gate, IOptions<BlurServiceOptions> serviceOptions,
        IOptions<BlurringOptions> blurringOptions, ILoggerFactory logs, CancellationToken ct)
    {
        var limits = serviceOptions.Value;
        var boundary = MultipartBoundary(context.Request);
        if (context.Request.ContentLength > limits.MaxUploadBytes + EnvelopeBytes)
        {
            throw TooLarge(limits);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limits.MaxUploadBytes + EnvelopeBytes;
        }

        await using var picture = await ReceivePictureAsync(context.Request, boundary, limits, ct);
        var isEquirectangular = CheckHeader(picture.Name, limits);

        using var slot = await gate.EnterAsync(ct);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(limits.QueueTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await ApiError.Result(StatusCodes.Status503ServiceUnavailable, "The blurring service is busy with other pictures; try again later").ExecuteAsync(context);
            return;
        }

        await using var blurred = TempFile();
        BlurResult result;
        try
        {
            result = await blurrer.BlurAsync(picture, blurred, isEquirectangular, ct);
        }
        catch (VipsException ex)
        {
            throw ApiException.BadRequest("The picture could not be decoded: it is not a JPEG picture or it is truncated", new { error = ex.Message.Trim() });
        }
        catch (BlurringUnavailableException ex)
        {
            logs.CreateLogger(typeof(BlurEndpoints)).LogWarning("/blur/ refused a picture: {Reason}", ex.Message);
            throw new ApiException(StatusCodes.Status503ServiceUnavailable,
                "The blurring service is not configured on this instance (its detection models are missing); please tell the instance administrator",
                new { config = $"{BlurringOptions.SectionName}:ModelDirectory" });
        }
        catch (RemoteBlurringException ex)
        {
            logs.CreateLogger(typeof(BlurEndpoints)).LogWarning(ex, "/blur/ could not reach the remote blurring service");
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, "The blurring service this instance relies on is unavailable; try again later");
        }
        slot.Dispose();

        var o = blurringOptions.Value;
        var modelOf = string.IsNullOrWhiteSpace(o.RemoteUrl)
            ? (Func<string, string>)(cls => cls == DetectionClasses.Face ? o.FaceModelFile : o.PlateModelFile)
            : _ => o.RemoteUrl!;
        var metadata = BlurMetadata.From(ServiceName, result.Detections, result.Width, result.Height, modelOf).ToJson();
        blurred.Position = 0;
        if (WantsMultipart(context.Request))
        {
            await WriteMultipartAsync(context.Response, blurred, metadata, ct);
        }
        else
        {
            context.Response.ContentType = "image/jpeg";
            context.Response.ContentLength = blurred.Length;
            context.Response.Headers[MetadataHeader] = metadata;
            await blurred.CopyToAsync(context.Response.Body, ct);
        }
    }

    private static string MultipartBoundary(HttpRequest request)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                $"Send the picture as multipart/form-data with a part named 'picture' (got {(string.IsNullOrEmpty(request.ContentType) ? "no content type" : request.ContentType)})");
        }
        var boundary = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 200)
        {
            throw ApiException.BadRequest("The multipart/form-data content type has no valid boundary");
        }
        return boundary;
    }

    /// <summary>Streams the <c>picture</c> part to a temporary file (deleted when closed); other parts are skipped.</summary>
    private static async Task<FileStream> ReceivePictureAsync(HttpRequest request, string boundary, BlurServiceOptions limits, CancellationToken ct)
    {
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limits.MaxUploadBytes + EnvelopeBytes };
        FileStream? file = null;
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var name = section.GetContentDispositionHeader()?.Name.Value;
                if (name != "picture" || file is not null)
                {
                    await section.Body.CopyToAsync(Stream.Null, ct);
                    continue;
                }
                file = TempFile();
                var buffer = new byte[81920];
                int read;
                while ((read = await section.Body.ReadAsync(buffer, ct)) > 0)
                {
                    if (file.Length + read > limits.MaxUploadBytes)
                    {
                        throw TooLarge(limits);
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
        }
        catch (Exception ex) when (FormBody.IsMalformed(ex))
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }
            throw ApiException.BadRequest("The multipart/form-data body is malformed or incomplete", new { error = ex.Message });
        }
        catch
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }
            throw;
        }
        if (file is null)
        {
            throw ApiException.BadRequest("No 'picture' part in the multipart/form-data body: send the JPEG as a part named 'picture'");
        }
        if (file.Length == 0)
        {
            await file.DisposeAsync();
            throw ApiException.BadRequest("The 'picture' part is empty");
        }
        file.Position = 0;
        return file;
    }

    /// <summary>
    /// Reads only the header: a picture too big to decode is refused before it costs memory. Says whether the picture
    /// is a 360° panorama (XMP GPano equirectangular, 2:1), which is tiled and merged across its seam.
    /// </summary>
    private static bool CheckHeader(string path, BlurServiceOptions limits)
    {
        long pixels;
        bool equirectangular;
        try
        {
            using var header = Image.NewFromFile(path, access: Enums.Access.Sequential);
            pixels = (long)header.Width * header.Height;
            equirectangular = IsEquirectangular(header);
        }
        catch (VipsException ex)
        {
            throw ApiException.BadRequest("The 'picture' part is not a picture this service can read (send a JPEG)", new { error = ex.Message.Trim() });
        }
        if (pixels > limits.MaxPixels)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge,
                FormattableString.Invariant($"The picture has {pixels / 1e6:F1} megapixels; this service accepts at most {limits.MaxPixels / 1e6:F1}"));
        }
        return equirectangular;
    }

    internal static bool IsEquirectangular(Image header) =>
        header.Width == 2 * header.Height && header.Contains("xmp-data") && header.Get("xmp-data") is byte[] xmp
        && System.Text.Encoding.UTF8.GetString(xmp).Contains("equirectangular", StringComparison.OrdinalIgnoreCase);

    private static bool WantsMultipart(HttpRequest request) =>
        request.Headers.Accept.Any(a => a?.Contains("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true);

    private static async Task WriteMultipartAsync(HttpResponse response, FileStream blurred, string metadata, CancellationToken ct)
    {
        using var content = new MultipartFormDataContent();
        var image = new StreamContent(blurred);
        image.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
        content.Add(image, "image", "image.jpg");
        var json = new StringContent(metadata, System.Text.Encoding.UTF8, "application/json");
        content.Add(json, "metadata");
        response.ContentType = content.Headers.ContentType!.ToString();
        response.ContentLength = content.Headers.ContentLength;
        await content.CopyToAsync(response.Body, ct);
    }

    private static ApiException TooLarge(BlurServiceOptions limits) =>
        new(StatusCodes.Status413PayloadTooLarge,
            FormattableString.Invariant($"The picture is larger than this service accepts ({limits.MaxUploadBytes / (1024.0 * 1024):F0} MB at most)"));

    private static FileStream TempFile() =>
        new(Path.Combine(Path.GetTempPath(), $"panoramax-blur-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
}
