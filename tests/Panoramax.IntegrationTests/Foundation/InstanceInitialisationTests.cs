using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Signing;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.ChangeLog;

namespace Panoramax.IntegrationTests.Foundation;

public class InstanceInitialisationTests(TestInstance instance) : IClassFixture<TestInstance>
{
    [Fact]
    public async Task First_start_records_this_instance_with_its_signing_key()
    {
        var (scope, db) = instance.OpenDb();
        await using var _ = scope;
        var self = await db.Instances.SingleAsync(i => i.IsSelf);

        using var keys = InstanceKeyStore.LoadOrCreate(Path.Combine(instance.DataDirectory, "keys"));
        Assert.Equal(keys.PublicKey, self.PublicKey);
        Assert.False(keys.Created);
    }

    [Fact]
    public async Task First_start_creates_one_admin_whose_password_is_only_stored_hashed()
    {
        var (scope, db) = instance.OpenDb();
        await using var _ = scope;
        var admin = await db.Accounts.SingleAsync(a => a.Role == AccountRole.Admin);

        Assert.NotEqual(TestInstance.AdminPassword, admin.PasswordHash);
        Assert.Equal(PasswordVerificationResult.Success, new PasswordHasher<Account>().VerifyHashedPassword(admin, admin.PasswordHash!, TestInstance.AdminPassword));
    }

    [Fact]
    public async Task Change_log_numbers_are_consecutive_per_origin_even_with_concurrent_writers()
    {
        const int writers = 8, perWriter = 10;
        var clock = TimeProvider.System;
        await Parallel.ForAsync(0, writers, async (_, ct) =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                var (scope, db) = instance.OpenDb();
                await using var __ = scope;
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                await ChangeLogWriter.AppendAsync(db, EntityKind.Picture, Guid.NewGuid(), ChangeOp.Upsert, 1, "{\"a\":1}", clock, ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
        });

        var (scope, db) = instance.OpenDb();
        await using var _ = scope;
        var self = await db.Instances.SingleAsync(i => i.IsSelf);
        var seqs = await db.ChangeLog.Where(e => e.OriginInstanceId == self.Id).OrderBy(e => e.Seq).Select(e => e.Seq).ToListAsync();
        // Other tests of this class append too: the whole log must be 1..last_seq without gaps.
        Assert.True(seqs.Count >= writers * perWriter);
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.Equal(seqs.Count, self.LastSeq);
    }

    [Fact]
    public async Task A_rolled_back_change_gives_its_number_back()
    {
        var (scope, db) = instance.OpenDb();
        await using var _ = scope;
        long before;
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            var entry = await ChangeLogWriter.AppendAsync(db, EntityKind.Sequence, Guid.NewGuid(), ChangeOp.Tombstone, 2, null, TimeProvider.System, default);
            before = entry.Seq;
            await tx.RollbackAsync();
        }
        db.ChangeTracker.Clear();

        await using var tx2 = await db.Database.BeginTransactionAsync();
        var next = await ChangeLogWriter.AppendAsync(db, EntityKind.Sequence, Guid.NewGuid(), ChangeOp.Tombstone, 2, null, TimeProvider.System, default);
        await db.SaveChangesAsync();
        await tx2.CommitAsync();

        Assert.Equal(before, next.Seq);
        Assert.Null(next.Payload);
    }
}
