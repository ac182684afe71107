using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.Retry;

namespace Panoramax.Cli;

/// <summary>An answer of the API that is not a success: its status and GeoVisio error body (<c>message</c>, <c>details</c>).</summary>
public sealed class ApiErrorException(int status, string message, JsonElement body) : Exception(message)
{
    public int Status { get; } = status;
    public JsonElement Body { get; } = body;
}

/// <summary>The answer to one file sent: status and JSON body, whatever the status.</summary>
public readonly record struct FileAnswer(int Status, JsonElement Body);

/// <summary>
/// HTTP to one instance, through its public API routes only (as documented for GeoVisio), so it works with any
/// Panoramax instance. Sends the API token as <c>Authorization: Bearer</c> and a <c>PanoramaxCLI/…</c> user agent (the
/// server records uploads as made with the CLI). Redirects are not followed: the API answers an anonymous caller of a
/// login-only route with a redirect to its login page, which is "not logged in" here.
/// </summary>
public sealed class PanoramaxClient : IDisposable
{
    public static readonly string Version = typeof(PanoramaxClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    private readonly HttpClient _http;
    private readonly string? _token;

    /// <summary>Uploads are retried on network errors, timeouts, 429 and 5xx (a retried file the server kept answers 409 "already in this set").</summary>
    private readonly ResiliencePipeline<FileAnswer> _retry;

    public PanoramaxClient(Uri instance, string? token, int parallel = 4)
    {
        Instance = instance;
        HasToken = token is { Length: > 0 };
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            MaxConnectionsPerServer = Math.Max(parallel, 2) + 2,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _http = new HttpClient(handler) { BaseAddress = instance, Timeout = TimeSpan.FromMinutes(10) };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("PanoramaxCLI", Version));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("(panoramax-cli; .NET)"));
        _token = token;
        _retry = new ResiliencePipelineBuilder<FileAnswer>()
            .AddRetry(new RetryStrategyOptions<FileAnswer>
            {
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                ShouldHandle = new PredicateBuilder<FileAnswer>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>(e => e.InnerException is TimeoutException)
                    .HandleResult(a => a.Status is 429 or >= 500),
            })
            .Build();
    }

    public Uri Instance { get; }

    public bool HasToken { get; }

    /// <summary>An absolute URL of this instance from an API path (<c>api/upload_sets</c>) or an href of the API.</summary>
    public Uri Url(string pathOrHref) => new(Instance, pathOrHref);

    /// <summary>The token goes to the instance only, never to another host (files may be served by a CDN or object store).</summary>
    private HttpRequestMessage Request(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        if (HasToken && url.Authority == Instance.Authority)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }
        return request;
    }

    public Task<JsonElement> GetAsync(string pathOrHref, CancellationToken ct) => SendAsync(HttpMethod.Get, pathOrHref, null, ct);

    public Task<JsonElement> PostAsync(string pathOrHref, object? body, CancellationToken ct) => SendAsync(HttpMethod.Post, pathOrHref, body, ct);

    /// <summary>One JSON call; any status but 2xx becomes an <see cref="ApiErrorException"/>, a network failure a <see cref="CliException"/>.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string pathOrHref, object? body, CancellationToken ct)
    {
        using var request = Request(method, Url(pathOrHref));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"{Instance} cannot be reached: {e.Message}");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var json = Parse(text);
            if (!response.IsSuccessStatusCode)
            {
                throw new ApiErrorException((int)response.StatusCode, MessageOf((int)response.StatusCode, json, text), json);
            }
            return json;
        }
    }

    /// <summary>Sends one picture as GeoVisio's multipart part <c>file</c>; retried on transient failures.</summary>
    public async Task<FileAnswer> PostFileAsync(string pathOrHref, string filePath, string fileName, CancellationToken ct) =>
        await _retry.ExecuteAsync(async token =>
        {
            await using var stream = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            using var form = new MultipartFormDataContent();
            var part = new StreamContent(stream, 81_920);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, "file", fileName);
            using var request = Request(HttpMethod.Post, Url(pathOrHref));
            request.Content = form;
            using var response = await _http.SendAsync(request, token);
            var text = await response.Content.ReadAsStringAsync(token);
            return new FileAnswer((int)response.StatusCode, Parse(text));
        }, ct);

    /// <summary>A GET whose body is read by the caller (downloads), with an optional byte range to resume.</summary>
    public async Task<HttpResponseMessage> GetFileAsync(Uri url, long from, CancellationToken ct)
    {
        for (var hops = 0; ; hops++)
        {
            using var request = Request(HttpMethod.Get, url);
            if (from > 0)
            {
                request.Headers.Range = new RangeHeaderValue(from, null);
            }
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.MovedPermanently or HttpStatusCode.TemporaryRedirect
                    or HttpStatusCode.PermanentRedirect or HttpStatusCode.SeeOther
                && response.Headers.Location is { } location && hops < 5)
            {
                url = new Uri(url, location);
                response.Dispose();
                continue;
            }
            return response;
        }
    }

    public static JsonElement Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return default;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>The human part of an error answer: <c>message</c>, and <c>details.error</c> when it says more.</summary>
    public static string MessageOf(int status, JsonElement json, string? text = null)
    {
        var message = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : text is { Length: > 0 and < 300 } t && json.ValueKind == JsonValueKind.Undefined ? t.Trim() : $"HTTP {status}";
        if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("details", out var d))
        {
            if (d.ValueKind == JsonValueKind.Object && d.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String && e.GetString() != message)
            {
                message += $": {e.GetString()}";
            }
            else if (d.ValueKind == JsonValueKind.Array)
            {
                var errors = d.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty("error", out _))
                    .Select(x => x.GetProperty("error").ToString()).ToList();
                if (errors.Count > 0)
                {
                    message += $": {string.Join("; ", errors)}";
                }
            }
        }
        return message;
    }

    public void Dispose() => _http.Dispose();
}
