using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf;
using Panoramax.Federation.Protocol.V1;
using Panoramax.Federation.Signing;

namespace Panoramax.FederationTests;

/// <summary>
/// Hello is the one call a stranger may make: whatever it sends, the answer is a gRPC status a person can act on
/// (never INTERNAL), and what is stored is clean.
/// </summary>
public sealed class HostileHelloTests : IAsyncLifetime
{
    private const int MaxPending = 3;
    private readonly FederatedInstance _a = new("alpha", [new("Panoramax:Federation:MaxPendingPeers", MaxPending.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

    public Task InitializeAsync() => _a.InitializeAsync();

    public Task DisposeAsync() => _a.DisposeAsync();

    private sealed class Stranger : IDisposable
    {
        public InstanceKeyStore Key { get; } = InstanceKeyStore.FromSeed(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        public Guid Id { get; } = Guid.CreateVersion7();

        public Metadata Token(Guid audience) => new() { { CallToken.MetadataKey, CallToken.Create(Key, Id, audience, TimeProvider.System.GetUtcNow()) } };

        public InstanceInfo Info(string name = "stranger", string baseUrl = "", string federationUrl = "") => new()
        {
            InstanceId = Id.ToString(),
            Name = name,
            PublicKey = ByteString.CopyFrom(Key.PublicKey),
            ProtocolVersion = 1,
            BaseUrl = baseUrl,
            FederationUrl = federationUrl,
        };

        public void Dispose() => Key.Dispose();
    }

    private static Federation.Protocol.V1.Federation.FederationClient Client(GrpcChannel channel) => new(channel);

    [Theory]
    [InlineData("nul\0name", "", "")]
    [InlineData("name", "http://x.example/\0", "")]
    [InlineData("name", "", "http://x.example:5001/\0")]
    public async Task Hello_with_NUL_characters_is_refused_as_an_invalid_argument_and_nothing_is_stored(string name, string baseUrl, string federationUrl)
    {
        using var channel = GrpcChannel.ForAddress(_a.GrpcUrl);
        using var stranger = new Stranger();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client(channel).HelloAsync(new HelloRequest { Caller = stranger.Info(name, baseUrl, federationUrl) }, stranger.Token(_a.Id)));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("control character", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0L, await _a.ScalarAsync<long>("SELECT count(*) FROM instances WHERE id = @id", ("id", stranger.Id)));
    }

    [Theory]
    [InlineData("javascript:alert(1)", "")]
    [InlineData("not a url", "")]
    [InlineData("ftp://files.example/", "")]
    [InlineData("", "file:///etc/passwd")]
    [InlineData("", "relative/path")]
    public async Task Hello_with_urls_that_are_not_absolute_http_is_refused_with_the_reason(string baseUrl, string federationUrl)
    {
        using var channel = GrpcChannel.ForAddress(_a.GrpcUrl);
        using var stranger = new Stranger();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client(channel).HelloAsync(new HelloRequest { Caller = stranger.Info("stranger", baseUrl, federationUrl) }, stranger.Token(_a.Id)));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("absolute http or https URL", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0L, await _a.ScalarAsync<long>("SELECT count(*) FROM instances WHERE id = @id", ("id", stranger.Id)));
    }

    [Fact]
    public async Task Overlong_name_is_cut_on_a_character_boundary()
    {
        using var channel = GrpcChannel.ForAddress(_a.GrpcUrl);
        using var stranger = new Stranger();
        // 199 letters then an emoji: cutting at 200 UTF-16 units would leave half of its surrogate pair.
        var name = new string('n', 199) + "😀" + new string('x', 50);
        await Client(channel).HelloAsync(new HelloRequest { Caller = stranger.Info(name) }, stranger.Token(_a.Id));
        var stored = await _a.ScalarAsync<string>("SELECT name FROM instances WHERE id = @id", ("id", stranger.Id));
        Assert.Equal(new string('n', 199), stored);
    }

    [Fact]
    public async Task Simultaneous_first_Hellos_of_one_stranger_make_one_pending_peer()
    {
        using var channel = GrpcChannel.ForAddress(_a.GrpcUrl);
        using var stranger = new Stranger();
        var client = Client(channel);
        var calls = Enumerable.Range(0, 8).Select(async _ =>
        {
            try
            {
                await client.HelloAsync(new HelloRequest { Caller = stranger.Info() }, stranger.Token(_a.Id));
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }).ToList();
        var codes = await Task.WhenAll(calls);
        Assert.All(codes, c => Assert.Equal(StatusCode.OK, c));
        Assert.Equal(1L, await _a.ScalarAsync<long>("SELECT count(*) FROM instances WHERE id = @id", ("id", stranger.Id)));
    }

    [Fact]
    public async Task Strangers_beyond_the_pending_limit_are_told_to_wait_and_known_ones_still_say_Hello()
    {
        using var channel = GrpcChannel.ForAddress(_a.GrpcUrl);
        var client = Client(channel);
        var strangers = Enumerable.Range(0, MaxPending + 1).Select(_ => new Stranger()).ToList();
        try
        {
            foreach (var s in strangers.Take(MaxPending))
            {
                await client.HelloAsync(new HelloRequest { Caller = s.Info() }, s.Token(_a.Id));
            }
            var last = strangers[MaxPending];
            var full = await Assert.ThrowsAsync<RpcException>(async () =>
                await client.HelloAsync(new HelloRequest { Caller = last.Info() }, last.Token(_a.Id)));
            Assert.Equal(StatusCode.ResourceExhausted, full.StatusCode);
            Assert.Contains("wait for an administrator's confirmation", full.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(0L, await _a.ScalarAsync<long>("SELECT count(*) FROM instances WHERE id = @id", ("id", last.Id)));

            // One already waiting may say Hello again; once an admin removes one, the next stranger gets in.
            await client.HelloAsync(new HelloRequest { Caller = strangers[0].Info("renamed") }, strangers[0].Token(_a.Id));
            Assert.Equal("renamed", await _a.ScalarAsync<string>("SELECT name FROM instances WHERE id = @id", ("id", strangers[0].Id)));
            Assert.True(await _a.WithAdminAsync(a => a.RemoveAsync(strangers[1].Id, CancellationToken.None)));
            await client.HelloAsync(new HelloRequest { Caller = last.Info() }, last.Token(_a.Id));
            Assert.Contains(await _a.WithAdminAsync(a => a.ListAsync(CancellationToken.None)), p => p.Id == last.Id && p.Trust == "pending");
        }
        finally
        {
            strangers.ForEach(s => s.Dispose());
        }
    }
}
