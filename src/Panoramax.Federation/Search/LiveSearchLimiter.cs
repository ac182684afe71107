using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Panoramax.Federation.Search;

/// <summary>
/// Bounds how many live federated searches start here per minute, per client and in all: each one asks every trusted
/// peer (and with hops, their peers), so an anonymous client looping on it would make the whole network search for it.
/// </summary>
public sealed class LiveSearchLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public LiveSearchLimiter(IOptions<FederationOptions> options)
    {
        var o = options.Value;
        var perClient = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = o.LiveSearchesPerClientPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        var overall = PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetFixedWindowLimiter("all",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = o.LiveSearchesPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        _limiter = PartitionedRateLimiter.CreateChained(perClient, overall);
    }

    /// <summary>Whether <paramref name="client"/> (its address) may start one now; when not, how long until it may.</summary>
    public bool TryStart(string client, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(client);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
