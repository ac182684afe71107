namespace Panoramax.FederationTests;

/// <summary>A—B—C: B is peer of both, A and C do not know each other (C gets A's records only through B).</summary>
public sealed class ChainNetwork : IAsyncLifetime
{
    public FederatedInstance A { get; } = new("alpha");
    public FederatedInstance B { get; } = new("bravo");
    public FederatedInstance C { get; } = new("charlie");

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
