using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Instances;
using Panoramax.Federation.Signing;
using Panoramax.Persistence;
using Panoramax.Server.Hosting;

namespace Panoramax.Server.Startup;

/// <summary>
/// First thing the host does: applies migrations, makes sure this instance's own row carries its
/// public key, and creates the first admin account (password printed once) when there is none.
/// </summary>
internal sealed class InstanceInitializer(
    IServiceProvider services,
    InstanceKeyStore keys,
    IOptions<PanoramaxOptions> options,
    TimeProvider clock,
    ILogger<InstanceInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} database migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken);
        }

        var self = await EnsureSelfAsync(db, cancellationToken);
        await EnsureAdminAsync(db, self, cancellationToken);
        await EnsureDefaultAccountAsync(db, self, cancellationToken);
    }

    /// <summary>Anonymous uploads (when allowed) need an owner: GeoVisio's "default account", without any password.</summary>
    private async Task EnsureDefaultAccountAsync(PanoramaxDbContext db, Instance self, CancellationToken ct)
    {
        if (await db.Accounts.AnyAsync(a => a.IsDefault, ct))
        {
            return;
        }
        var now = clock.GetUtcNow();
        db.Accounts.Add(new Account
        {
            Id = Guid.CreateVersion7(now),
            OriginInstanceId = self.Id,
            Name = DefaultAccountName,
            IsDefault = true,
            CreatedAt = now,
            UpdatedAt = now,
        });
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Created the default account that owns anonymous uploads");
    }

    internal const string DefaultAccountName = "Default account";

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<Instance> EnsureSelfAsync(PanoramaxDbContext db, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var self = await db.Instances.SingleOrDefaultAsync(i => i.IsSelf, ct);
        var info = options.Value.Instance;
        if (self is null)
        {
            self = new Instance
            {
                Id = Guid.CreateVersion7(now),
                Name = info.Name,
                BaseUrl = options.Value.PublicUrl?.ToString().TrimEnd('/'),
                PublicKey = keys.PublicKey,
                IsSelf = true,
                Trust = PeerTrust.Trusted,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Instances.Add(self);
            logger.LogInformation("This is a new instance: id {InstanceId}", self.Id);
        }
        else if (!self.PublicKey.AsSpan().SequenceEqual(keys.PublicKey) || self.Name != info.Name)
        {
            if (!self.PublicKey.AsSpan().SequenceEqual(keys.PublicKey))
            {
                logger.LogWarning("The instance signing key in {Dir} changed; peers that pinned the old key will refuse our changes until they confirm the new one", options.Value.DataPath("keys"));
            }
            self.PublicKey = keys.PublicKey;
            self.Name = info.Name;
            self.UpdatedAt = now;
        }
        await db.SaveChangesAsync(ct);
        return self;
    }

    private async Task EnsureAdminAsync(PanoramaxDbContext db, Instance self, CancellationToken ct)
    {
        if (await db.Accounts.AnyAsync(a => a.Role == AccountRole.Admin, ct))
        {
            return;
        }
        var admin = options.Value.Admin;
        var generated = string.IsNullOrEmpty(admin.InitialPassword);
        var password = generated ? RandomPassword() : admin.InitialPassword!;
        var now = clock.GetUtcNow();
        var account = new Account
        {
            Id = Guid.CreateVersion7(now),
            OriginInstanceId = self.Id,
            Name = admin.Name,
            Role = AccountRole.Admin,
            CreatedAt = now,
            UpdatedAt = now,
        };
        account.PasswordHash = new PasswordHasher<Account>().HashPassword(account, password);
        db.Accounts.Add(account);
        await db.SaveChangesAsync(ct);
        if (generated)
        {
            // Printed on the console only (never logged), once: the hash is all we keep.
            Console.WriteLine();
            Console.WriteLine("==============================================================");
            Console.WriteLine($" First start: admin account '{account.Name}' created.");
            Console.WriteLine($" Password: {password}");
            Console.WriteLine(" It is shown only this once: store it now.");
            Console.WriteLine("==============================================================");
            Console.WriteLine();
        }
        logger.LogInformation("Created the first admin account {Name} ({Id})", account.Name, account.Id);
    }

    private static string RandomPassword()
    {
        const string alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, 20);
    }
}
