namespace Panoramax.Server.Http;

/// <summary>
/// Reads a form body (urlencoded or multipart). A truncated body, a broken multipart boundary or a field over the
/// form limits is the client's mistake: a 400 that says so, not a 500 in the log.
/// </summary>
public static class FormBody
{
    /// <summary>
    /// What the framework's form and multipart readers throw on a body that is broken or ends too early. Kestrel's own
    /// limits (a body too large: 413) come as <see cref="BadHttpRequestException"/>, an IOException the error pipeline maps.
    /// </summary>
    public static bool IsMalformed(Exception e) => e is InvalidDataException or IOException && e is not BadHttpRequestException;

    public static async Task<IFormCollection> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await request.ReadFormAsync(ct);
        }
        catch (Exception e) when (IsMalformed(e))
        {
            throw ApiException.BadRequest("The form body is malformed, incomplete or over the form limits",
                new { error = e.Message });
        }
    }
}
