using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Feed;
using Panoramax.Federation.Protocol.V1;
using ChangeOp = Panoramax.Domain.Federation.ChangeOp;
using EntityKind = Panoramax.Domain.Federation.EntityKind;
using Panoramax.Federation.Signing;
using ChangeEntry = Panoramax.Federation.Protocol.V1.ChangeEntry;

namespace Panoramax.FederationTests;

/// <summary>
/// A remote peer that misbehaves on purpose: a third party speaking the wire protocol (not one of our components),
/// serving whatever entries a test crafts, signed with its own key or not.
/// </summary>
public sealed class HostilePeer : IAsyncDisposable
{
    private WebApplication? _app;

    public Guid Id { get; } = Guid.CreateVersion7();
    public InstanceKeyStore Key { get; } = InstanceKeyStore.FromSeed(RandomNumberGenerator.GetBytes(32));
    public string Url { get; private set; } = "";
    /// <summary>Entries served to any GetChanges of its own origin.</summary>
    public Func<GetChangesRequest, IReadOnlyList<ChangeEntry>> Feed { get; set; } = _ => [];
    /// <summary>Answers GetDigests (announced with "reconcile.v1"); null = UNIMPLEMENTED.</summary>
    public Func<GetDigestsRequest, GetDigestsResponse>? Digests { get; set; }
    /// <summary>max_seq announced for its own origin.</summary>
    public long AnnouncedMaxSeq { get; set; }
    /// <summary>What the live-search call answers (null: UNIMPLEMENTED).</summary>
    public Func<SearchRequest, SearchResponse>? SearchAnswer { get; set; }
    /// <summary>What Hello answers instead of Mallory's identity (null: the identity).</summary>
    public Func<HelloResponse>? HelloAnswer { get; set; }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        _app = builder.Build();
        _app.MapGrpcService<Service>();
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        Key.Dispose();
    }

    /// <summary>A well-formed chain of <paramref name="payloads"/> (null = tombstone) for <paramref name="origin"/>, signed by <paramref name="signer"/>.</summary>
    public static List<ChangeEntry> Chain(Guid origin, InstanceKeyStore signer, IReadOnlyList<(EntityKind Kind, Guid Id, string? Payload)> payloads, long firstSeq = 1, byte[]? prev = null)
    {
        prev ??= new byte[32];
        var list = new List<ChangeEntry>();
        for (var i = 0; i < payloads.Count; i++)
        {
            var (kind, id, payload) = payloads[i];
            var seq = firstSeq + i;
            var op = payload is null ? ChangeOp.Tombstone : ChangeOp.Upsert;
            var e = new ChangeLogEntry
            {
                OriginInstanceId = origin, Seq = seq, EntityKind = kind, EntityId = id, Op = op, EntityVersion = 1,
                CreatedAt = FeedCrypto.FromUnixMicros(FeedCrypto.ToUnixMicros(TimeProvider.System.GetUtcNow())),
                Payload = payload, PayloadHash = payload is null ? null : FeedCrypto.PayloadHash(payload), PrevHash = prev,
            };
            var hash = FeedCrypto.EntryHash(origin, seq, kind, id, op, 1, FeedCrypto.ToUnixMicros(e.CreatedAt), e.PayloadHash ?? new byte[32], prev);
            e.Signature = signer.Sign(FeedCrypto.CheckpointBytes(origin, seq, hash));
            list.Add(WireEntries.ToWire(e));
            prev = hash;
        }
        return list;
    }

    public static string AccountPayload(Guid id, string name) => $$"""{"id":"{{id}}","name":"{{name}}"}""";

    private sealed class Service(HostilePeer peer) : Federation.Protocol.V1.Federation.FederationBase
    {
        public override Task<HelloResponse> Hello(HelloRequest request, ServerCallContext context)
        {
            if (peer.HelloAnswer is { } answer)
            {
                return Task.FromResult(answer());
            }
            var info = new InstanceInfo
            {
                InstanceId = peer.Id.ToString(), Name = "mallory", PublicKey = ByteString.CopyFrom(peer.Key.PublicKey),
                ProtocolVersion = 1, BaseUrl = "http://127.0.0.1:9", FederationUrl = peer.Url,
                Capabilities = { "changes.v1", "reconcile.v1" },
            };
            var response = new HelloResponse { Instance = info };
            response.Origins.Add(new OriginState
            {
                OriginId = peer.Id.ToString(), Name = "mallory", PublicKey = info.PublicKey, MaxSeq = peer.AnnouncedMaxSeq, BaseUrl = info.BaseUrl,
            });
            return Task.FromResult(response);
        }

        public override async Task GetChanges(GetChangesRequest request, IServerStreamWriter<ChangeEntry> responseStream, ServerCallContext context)
        {
            foreach (var e in peer.Feed(request))
            {
                await responseStream.WriteAsync(e);
            }
        }

        public override Task<GetDigestsResponse> GetDigests(GetDigestsRequest request, ServerCallContext context) =>
            peer.Digests is { } digests ? Task.FromResult(digests(request)) : throw new RpcException(new Status(StatusCode.Unimplemented, ""));

        public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context) =>
            peer.SearchAnswer is { } answer ? Task.FromResult(answer(request)) : throw new RpcException(new Status(StatusCode.Unimplemented, ""));

        public override Task<PokeResponse> Poke(PokeRequest request, ServerCallContext context) => Task.FromResult(new PokeResponse());
    }
}
