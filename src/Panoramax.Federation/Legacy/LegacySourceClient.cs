using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Panoramax.Federation.Legacy;

/// <summary>
/// The source answered something a harvest cannot walk through (HTTP error after retries, no answer, not JSON, not a
/// page): the run stops there and the cursor stays where the last complete collection left it.
/// </summary>
public sealed class LegacyFetchException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// GETs JSON pages from legacy instances: one pooled HTTP client, and per source a resilience pipeline (a deadline
/// per attempt, retries with exponential backoff and jitter on 5xx, 429 and network errors, a circuit breaker so a dead
/// source costs little). Every failure comes out as a <see cref="LegacyFetchException"/> with a message for the admin.
/// </summary>
public sealed class LegacySourceClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly AggregatorOptions _options;
    private readonly ConcurrentDictionary<Guid, ResiliencePipeline> _pipelines = new();

    public LegacySourceClient(IOptions<AggregatorOptions> options)
    {
        _options = options.Value;
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            // The pipeline's timeout strategy bounds every attempt.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("PanoramaxAggregator", "1.0"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/geo+json"));
    }

    /// <summary>The parsed JSON body of <paramref name="url"/>; dispose it once the page is applied.</summary>
    public async Task<JsonDocument> GetJsonAsync(Guid source, Uri url, CancellationToken ct)
    {
        try
        {
            return await Pipeline(source).ExecuteAsync(async t =>
            {
                using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, t);
                var code = (int)response.StatusCode;
                if (code >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    throw new TransientAnswerException($"{url} answered HTTP {code}");
                }
                if (!response.IsSuccessStatusCode)
                {
                    throw new LegacyFetchException($"{url} answered HTTP {code}");
                }
                var bytes = await ReadBoundedAsync(url, response.Content, t);
                try
                {
                    return JsonDocument.Parse(bytes);
                }
                catch (JsonException e)
                {
                    throw new LegacyFetchException($"{url} did not answer valid JSON: {e.Message}", e);
                }
            }, ct);
        }
        catch (TransientAnswerException e)
        {
            throw new LegacyFetchException($"{e.Message} (after retries)", e);
        }
        catch (HttpRequestException e)
        {
            throw new LegacyFetchException($"{url} could not be reached: {e.Message}", e);
        }
        catch (TimeoutRejectedException e)
        {
            throw new LegacyFetchException(string.Create(CultureInfo.InvariantCulture, $"{url} did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s"), e);
        }
        catch (BrokenCircuitException e)
        {
            throw new LegacyFetchException("circuit open: the source failed repeatedly, retrying later", e);
        }
    }

    /// <summary>The whole body, refused (not retried) once it passes <see cref="AggregatorOptions.MaxAnswerBytes"/>.</summary>
    private async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(Uri url, HttpContent content, CancellationToken ct)
    {
        var max = _options.MaxAnswerBytes;
        if (content.Headers.ContentLength > max)
        {
            throw TooLarge(url, max);
        }
        await using var body = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw TooLarge(url, max);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static LegacyFetchException TooLarge(Uri url, int max) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{url} answered more than {max:N0} bytes, the most read from a source (Panoramax:Aggregator:MaxAnswerBytes)"));

    /// <summary>Forgets a source's pipeline (an admin asks for an immediate harvest).</summary>
    public void Reset(Guid source) => _pipelines.TryRemove(source, out _);

    private ResiliencePipeline Pipeline(Guid source) => _pipelines.GetOrAdd(source, _ =>
    {
        var transient = new PredicateBuilder().Handle<TransientAnswerException>().Handle<HttpRequestException>().Handle<TimeoutRejectedException>();
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromMinutes(2),
                BreakDuration = TimeSpan.FromSeconds(60),
            })
            .AddTimeout(_options.RequestTimeout)
            .Build();
    });

    public void Dispose() => _http.Dispose();

    /// <summary>A 5xx or 429 answer: worth retrying.</summary>
    private sealed class TransientAnswerException(string message) : Exception(message);
}
