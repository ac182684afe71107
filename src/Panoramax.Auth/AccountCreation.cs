using Microsoft.EntityFrameworkCore.Storage;
using Panoramax.Persistence;

namespace Panoramax.Auth;

/// <summary>
/// New accounts (a registration, a first external login) are made one at a time: each checks that its name (and
/// e-mail, and external identity) is free, then inserts, and two of them at the same moment must not both pass the
/// checks. Names are only unique among the accounts made here (external logins may share one), so no index can say
/// it; a serialized transaction does.
/// </summary>
internal static class AccountCreation
{
    /// <summary>Opens the transaction the creation runs in, holding the lock until it ends.</summary>
    public static Task<IDbContextTransaction> BeginAsync(PanoramaxDbContext db, CancellationToken ct) =>
        SerializedTransaction.BeginAsync(db, "panoramax.account-creation", ct);
}
