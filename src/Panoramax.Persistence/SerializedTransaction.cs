using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Panoramax.Persistence;

/// <summary>
/// A transaction that runs one at a time per <c>name</c>, across every server process on the database: for
/// check-then-insert work that no unique index can guard on its own (names unique only among some rows, or several
/// rows decided together). It holds a transaction-scoped advisory lock, released when the transaction ends. Meant for
/// rare operations (account creations, a new peer), where queuing costs nothing.
/// </summary>
public static class SerializedTransaction
{
    public static async Task<IDbContextTransaction> BeginAsync(PanoramaxDbContext db, string name, CancellationToken ct)
    {
        var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({name}))", ct);
        }
        catch
        {
            await tx.DisposeAsync();
            throw;
        }
        return tx;
    }
}
