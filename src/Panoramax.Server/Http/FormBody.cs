namespace Panoramax.Server.Http;

/// <summary>
/// Reads a form body (urlencoded or multipart). A truncated body, a broken multipart boundary or a field over the
/// form limits is the client's mistake: a 400 that says so, not a 500 in the log.
/// </summary>
public static class FormBody
{
    public static async Task<IFormCollection> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await request.ReadFormAsync(ct);
        }
        // Kestrel's own limits (body too large: 413) come as BadHttpRequestException, an IOException the error pipeline maps.
        catch (Exception e) when (e is InvalidDataException or IOException && e is not BadHttpRequestException)
        {
            throw ApiException.BadRequest("The form body is malformed, incomplete or over the form limits",
                new { error = e.Message });
        }
    }
}
