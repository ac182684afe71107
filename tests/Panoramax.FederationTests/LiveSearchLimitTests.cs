using System.Net;
using System.Text.Json;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.FederationTests;

/// <summary>Live searches make every peer search: a client may start only so many per minute.</summary>
public sealed class LiveSearchLimitTests : IAsyncLifetime
{
    private readonly FederatedInstance _a = new("alpha", [new("Panoramax:Federation:LiveSearchesPerClientPerMinute", "2")]);

    public Task InitializeAsync() => _a.InitializeAsync();

    public Task DisposeAsync() => _a.DisposeAsync();

    [Fact]
    public async Task Live_searches_beyond_the_per_client_limit_get_429_with_Retry_After_and_local_searches_go_on()
    {
        var live = $"/api/search?federated=live&ids={Guid.NewGuid()}";
        for (var i = 0; i < 2; i++)
        {
            using var allowed = await _a.Http.GetAsync(live);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var refused = await _a.Http.GetAsync(live);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("Too many live searches", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        // A malformed live search is refused for what it is, before the count.
        using var badHops = await _a.Http.GetAsync("/api/search?federated=live&hops=0");
        Assert.Equal(HttpStatusCode.BadRequest, badHops.StatusCode);
        using var badBbox = await _a.Http.GetAsync("/api/search?federated=live&bbox=1,2,3");
        Assert.Equal(HttpStatusCode.BadRequest, badBbox.StatusCode);
        using var local = await _a.Http.GetAsync($"/api/search?ids={Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
    }
}
