using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Panoramax.Server.Http;

namespace Panoramax.Server.Uploads;

/// <summary>
/// A multipart upload as received: the file part streamed to a spool file (hashed on the way, never held in memory)
/// and the small text fields. Disposing deletes the spool file, so every path out of a handler cleans up.
/// </summary>
public sealed class ReceivedUpload : IAsyncDisposable
{
    private const int MaxFieldBytes = 64 * 1024;
    private const int MaxFields = 200;
    /// <summary>Room for the other form fields and multipart framing on top of the file size limit.</summary>
    private const long FormOverheadBytes = 1024 * 1024;

    private ReceivedUpload(Dictionary<string, string> fields) => Fields = fields;

    public Dictionary<string, string> Fields { get; }
    public string? SpoolPath { get; private set; }
    /// <summary>The name the client gave, unsanitised (see <see cref="FileNames.Sanitise"/>).</summary>
    public string? ClientFileName { get; private set; }
    public long Size { get; private set; }
    public byte[] Sha256 { get; private set; } = [];
    public string Md5Hex { get; private set; } = "";
    public bool HasFile => SpoolPath is not null;

    public static async Task<ReceivedUpload> ReadAsync(HttpRequest request, string filePart, UploadSpool spool, long maxFileBytes, CancellationToken ct)
    {
        if (!request.HasFormContentType || !MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "Files are sent as multipart/form-data");
        }
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw ApiException.BadRequest("The multipart/form-data body has no boundary");
        }
        var maxBody = maxFileBytes + FormOverheadBytes;
        if (request.ContentLength > maxBody)
        {
            throw TooLarge(maxFileBytes);
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBody;
        }

        var upload = new ReceivedUpload(new Dictionary<string, string>(StringComparer.Ordinal));
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    await section.Body.CopyToAsync(Stream.Null, ct);
                    continue;
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition() && name == filePart)
                {
                    if (upload.HasFile)
                    {
                        throw ApiException.BadRequest($"Send one file per request (several '{filePart}' parts were sent)");
                    }
                    upload.ClientFileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    await upload.SpoolAsync(section.Body, spool, maxFileBytes, ct);
                }
                else if (!disposition.IsFileDisposition())
                {
                    if (upload.Fields.Count >= MaxFields)
                    {
                        throw ApiException.BadRequest("Too many form fields");
                    }
                    upload.Fields[name] = await ReadFieldAsync(section.Body, name, ct);
                }
                else
                {
                    // Unknown file parts are drained, not stored.
                    await section.Body.CopyToAsync(Stream.Null, ct);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await upload.DisposeAsync();
            throw TooLarge(maxFileBytes);
        }
        // A broken boundary, or a body that ends before its closing boundary (a truncated or interrupted upload).
        catch (Exception e) when (FormBody.IsMalformed(e))
        {
            await upload.DisposeAsync();
            throw ApiException.BadRequest("The multipart/form-data body is malformed or incomplete", new { error = e.Message });
        }
        catch
        {
            await upload.DisposeAsync();
            throw;
        }
        return upload;
    }

    internal static ApiException TooLarge(long maxFileBytes) => new(
        StatusCodes.Status413PayloadTooLarge,
        $"The file is too large: this instance accepts files up to {maxFileBytes} bytes ({maxFileBytes / (1024.0 * 1024):0.#} MiB)",
        new { max_file_bytes = maxFileBytes });

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken ct)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(total), ct)) > 0)
        {
            total += read;
            if (total > MaxFieldBytes)
            {
                throw ApiException.BadRequest($"Form field '{name}' is too long");
            }
        }
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private async Task SpoolAsync(Stream body, UploadSpool spool, long maxFileBytes, CancellationToken ct)
    {
        SpoolPath = spool.NewPath();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
#pragma warning disable CA5351 // MD5 is the API's content_md5 checksum (what clients compare), not a security measure.
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
        var buffer = new byte[81_920];
        await using (var file = new FileStream(SpoolPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
        {
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                Size += read;
                if (Size > maxFileBytes)
                {
                    throw TooLarge(maxFileBytes);
                }
                sha.AppendData(buffer, 0, read);
                md5.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        Sha256 = sha.GetHashAndReset();
        Md5Hex = Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    public ValueTask DisposeAsync()
    {
        if (SpoolPath is not null)
        {
            try
            {
                File.Delete(SpoolPath);
            }
            catch (IOException)
            {
            }
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>File names are shown back to people (API, upload page) and never used as paths: keep them printable and short.</summary>
public static class FileNames
{
    private const int MaxLength = 255;

    public static string Sanitise(string? name)
    {
        // Browsers and old clients may send a full path (C:\photos\a.jpg, ../../etc/passwd): keep the last segment.
        var last = (name ?? "").Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var sb = new StringBuilder(last.Length);
        foreach (var c in last.Normalize(NormalizationForm.FormC))
        {
            if (char.IsControl(c) || c is '<' or '>' or '"' or '|' or '?' or '*' or ':' || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format)
            {
                sb.Append('_');
            }
            else
            {
                sb.Append(c);
            }
        }
        var clean = sb.ToString().Trim().TrimStart('.');
        if (clean.Length == 0)
        {
            clean = "picture.jpg";
        }
        if (clean.Length > MaxLength)
        {
            var ext = Path.GetExtension(clean);
            ext = ext.Length is > 0 and <= 10 ? ext : "";
            clean = clean[..(MaxLength - ext.Length)] + ext;
        }
        return clean;
    }
}
