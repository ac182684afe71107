namespace Panoramax.Cli;

/// <summary>
/// An instance is named by its base URL (<c>https://panoramax.example.org</c>); the API is under <c>/api</c>. People
/// also paste the API URL or add a slash: every form maps to one key, under which tokens and upload sets are kept.
/// </summary>
public static class InstanceUrl
{
    /// <summary>The base URL, ending with a slash (so relative API paths resolve under it).</summary>
    public static Uri Normalize(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"'{text}' is not an instance URL: give it as https://panoramax.example.org");
        }
        var path = url.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/api", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }
        return new Uri($"{url.Scheme}://{url.Authority}{path}/");
    }

    /// <summary>The key of an instance in the configuration and state files (no trailing slash).</summary>
    public static string Key(Uri instance) => instance.ToString().TrimEnd('/');
}
