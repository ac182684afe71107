using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Peers;
using Panoramax.Federation.Sync;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.ChangeLog;
using Panoramax.Server.Federation;

namespace Panoramax.FederationTests;

/// <summary>A real instance (own database, own HTTP and gRPC ports) that takes part in a test network.</summary>
public sealed class FederatedInstance(string name, IEnumerable<KeyValuePair<string, string>>? extraSettings = null) : TestInstance
{
    public string Name { get; } = name;
    public Guid Id { get; private set; }
    public string GrpcUrl { get; private set; } = "";
    public Guid AccountId { get; private set; }

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Panoramax:Instance:Name", Name),
        // Pokes drive propagation; the schedule is only the safety net.
        new("Panoramax:Federation:SyncInterval", "00:00:05"),
        new("Panoramax:Federation:SealInterval", "00:00:01"),
        .. extraSettings ?? [],
    ];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        GrpcUrl = Services.GetRequiredService<FederationEndpoint>().BoundUrl!;
        var (scope, db) = OpenDb();
        await using (scope)
        {
            Id = (await db.Instances.SingleAsync(i => i.IsSelf)).Id;
        }
        AccountId = await TestData.AccountAsync(this, $"{Name}-user");
    }

    public async Task<T> WithAdminAsync<T>(Func<PeerAdmin, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<PeerAdmin>());
    }

    public Task<SyncOutcome> SyncWithAsync(FederatedInstance peer) => SyncWithAsync(peer.Id);

    public Task<SyncOutcome> SyncWithAsync(Guid peer) =>
        Services.GetRequiredService<PeerSynchronizer>().SyncAsync(peer, CancellationToken.None);

    /// <summary>What ingest does on publication: rows (by <see cref="TestData"/>) and change entries in one transaction.</summary>
    public async Task<SeededSequence> PublishAsync(IReadOnlyList<SeedPicture> pictures, string visibility = "anyone", string title = "Federated walk")
    {
        var seq = await TestData.SequenceAsync(this, AccountId, pictures, title: title, visibility: visibility);
        await AppendAsync([(EntityKind.Sequence, seq.Id, ChangeOp.Upsert), .. seq.PictureIds.Select(p => (EntityKind.Picture, p, ChangeOp.Upsert))]);
        return seq;
    }

    /// <summary>Runs <paramref name="sql"/> (parameter @id) and appends a change entry for the record, as edit/hide/delete writers do.</summary>
    public async Task ChangeAsync(EntityKind kind, Guid id, ChangeOp op, string sql)
    {
        var (scope, db) = OpenDb();
        await using (scope)
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await db.Database.ExecuteSqlRawAsync(sql, new NpgsqlParameter("id", id));
            await ChangeLogWriter.AppendAsync(db, kind, id, op, 0, null, TimeProvider.System, CancellationToken.None);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
    }

    public async Task AppendAsync(IEnumerable<(EntityKind Kind, Guid Id, ChangeOp Op)> changes)
    {
        var (scope, db) = OpenDb();
        await using (scope)
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            foreach (var (kind, id, op) in changes)
            {
                await ChangeLogWriter.AppendAsync(db, kind, id, op, 1, null, TimeProvider.System, CancellationToken.None);
            }
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v);
        }
        var result = await cmd.ExecuteScalarAsync();
        return result is DBNull or null ? default : (T)result;
    }

    /// <summary>Ids of the pictures B's anonymous search returns among <paramref name="ids"/>.</summary>
    public async Task<HashSet<Guid>> SearchIdsAsync(IEnumerable<Guid> ids)
    {
        var json = await GetJsonAsync($"/api/search?limit=1000&ids={string.Join(',', ids)}");
        return [.. json.GetProperty("features").EnumerateArray().Select(f => Guid.Parse(f.GetProperty("id").GetString()!))];
    }
}

/// <summary>Connects instances as mutually trusted peers through the admin service, as two admins would.</summary>
public static class Network
{
    public static async Task ConnectAsync(FederatedInstance a, FederatedInstance b)
    {
        // a's admin adds b by URL (b now knows a as pending), then both admins confirm. A freshly started host's first
        // Hello can outlast the 10 s call timeout on a loaded 2-core machine (JIT of the whole gRPC path): try again then.
        PeerStatus added;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                added = await a.WithAdminAsync(admin => admin.AddAsync(b.GrpcUrl, CancellationToken.None));
                break;
            }
            catch (PeerUnreachableException e) when (attempt < 3 && e.InnerException is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.DeadlineExceeded })
            {
            }
        }
        Assert.Equal(b.Id, added.Id);
        Assert.Equal("pending", added.Trust);
        Assert.NotNull(await b.WithAdminAsync(admin => admin.ConfirmAsync(a.Id, CancellationToken.None)));
        Assert.NotNull(await a.WithAdminAsync(admin => admin.ConfirmAsync(b.Id, CancellationToken.None)));
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * seconds;
        while (!await condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                Assert.Fail($"Timed out after {seconds} s waiting for: {what}");
            }
            await Task.Delay(200);
        }
    }
}
