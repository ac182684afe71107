using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Panoramax.Federation.Signing;

namespace Panoramax.Federation.Sync;

/// <summary>
/// gRPC channels to peers (one per URL, reused) and one resilience pipeline per peer: retries with exponential
/// backoff and jitter for transient failures, and a circuit breaker so a dead peer costs little.
/// </summary>
public sealed class PeerClients(InstanceKeyStore key, IOptions<FederationOptions> options, TimeProvider clock) : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new();
    private readonly ConcurrentDictionary<Guid, ResiliencePipeline> _pipelines = new();

    public Protocol.V1.Federation.FederationClient Client(string url) =>
        new(_channels.GetOrAdd(url, u => GrpcChannel.ForAddress(u, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            },
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        })));

    /// <summary>Metadata of one call to <paramref name="peer"/>: a fresh token, audience = that peer.</summary>
    public Metadata Headers(Guid self, Guid peer) =>
        new() { { CallToken.MetadataKey, CallToken.Create(key, self, peer, clock.GetUtcNow()) } };

    public DateTime Deadline() => clock.GetUtcNow().Add(options.Value.CallTimeout).UtcDateTime;

    public ResiliencePipeline Pipeline(Guid peer) => _pipelines.GetOrAdd(peer, _ => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RpcException>(IsTransient),
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RpcException>(IsTransient),
            FailureRatio = 0.5,
            MinimumThroughput = 4,
            SamplingDuration = TimeSpan.FromMinutes(1),
            BreakDuration = TimeSpan.FromSeconds(30),
        })
        .Build());

    /// <summary>Forgets a peer's pipeline (removed, or an admin wants an immediate retry).</summary>
    public void Reset(Guid peer) => _pipelines.TryRemove(peer, out _);

    private static bool IsTransient(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.ResourceExhausted or StatusCode.Aborted or StatusCode.Unknown;

    public void Dispose()
    {
        foreach (var c in _channels.Values)
        {
            c.Dispose();
        }
        _channels.Clear();
    }
}
