using System.Threading.RateLimiting;

namespace Panoramax.Server.Http;

/// <summary>
/// How many requests of one kind a client (its IP address, as <c>ForwardedHeaders</c> gives it behind a proxy) may make
/// per window, and optionally the whole instance: for the anonymous requests that cost much (a live search makes every
/// peer search) or write rows (accounts, unclaimed tokens), and for password guessing spread over many accounts.
/// </summary>
public sealed class ClientThrottle : IDisposable
{
    /// <summary>Keys of the throttles (keyed singletons).</summary>
    public const string LiveSearch = "live-search";
    public const string Registration = "registration";
    public const string Login = "login";
    public const string TokenRequest = "token-request";
    public const string Report = "report";

    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly TimeSpan _window;

    public ClientThrottle(int perClient, TimeSpan window, int? overall = null)
    {
        _window = window;
        var clients = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perClient, Window = window, QueueLimit = 0 }));
        _limiter = overall is { } all
            ? PartitionedRateLimiter.CreateChained(clients, PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetFixedWindowLimiter("all",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = all, Window = window, QueueLimit = 0 })))
            : clients;
    }

    /// <summary>Counts one request of the caller: null when it may go on, else the whole seconds until it may.</summary>
    public int? RetryAfterSeconds(HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }
        var after = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : _window;
        return Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
    }

    /// <summary>Counts one request of the caller; a 429 with Retry-After ("{what}: try again in N s…") when over budget.</summary>
    public void Enforce(HttpContext context, string what, string? advice = null)
    {
        if (RetryAfterSeconds(context) is { } seconds)
        {
            throw new ApiException(StatusCodes.Status429TooManyRequests, $"{what}: try again in {seconds} s{advice}") { RetryAfterSeconds = seconds };
        }
    }

    public void Dispose() => _limiter.Dispose();
}
