namespace Panoramax.FederationTests;

/// <summary>A—B—C: B is peer of both, A and C do not know each other (C gets A's records only through B).</summary>
public sealed class ChainNetwork : IAsyncLifetime
{
    // A live search relayed through B waits at most B's own deadline whatever the caller asks: give it room on a busy
    // test machine (the default 1.5 s is for people waiting on a page).
    private static readonly KeyValuePair<string, string>[] Settings = [new("Panoramax:Federation:SearchDeadline", "00:00:06")];

    public FederatedInstance A { get; } = new("alpha", Settings);
    public FederatedInstance B { get; } = new("bravo", Settings);
    public FederatedInstance C { get; } = new("charlie", Settings);

    public async Task InitializeAsync()
    {
        await Task.WhenAll(A.InitializeAsync(), B.InitializeAsync(), C.InitializeAsync());
        await Network.ConnectAsync(B, A);
        await Network.ConnectAsync(C, B);
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(A.DisposeAsync(), B.DisposeAsync(), C.DisposeAsync());
    }
}
