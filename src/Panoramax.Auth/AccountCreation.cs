using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Panoramax.Persistence;

namespace Panoramax.Auth;

/// <summary>
/// New accounts (a registration, a first external login) are made one at a time: each checks that its name (and
/// e-mail, and external identity) is free, then inserts, and two of them at the same moment must not both pass the
/// checks. Names are only unique among the accounts made here (external logins may share one), so no index can say
/// it; a transaction-scoped advisory lock does. Account creations are rare, so queuing them costs nothing.
/// </summary>
internal static class AccountCreation
{
    /// <summary>Opens the transaction the creation runs in, holding the lock until it ends.</summary>
    public static async Task<IDbContextTransaction> BeginAsync(PanoramaxDbContext db, CancellationToken ct)
    {
        var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtext('panoramax.account-creation'))", ct);
        }
        catch
        {
            await tx.DisposeAsync();
            throw;
        }
        return tx;
    }
}
