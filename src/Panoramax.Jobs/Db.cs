using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Panoramax.Persistence;

namespace Panoramax.Jobs;

/// <summary>Hand-written SQL inside the DbContext's own connection and transaction (so EF writes and ours commit together).</summary>
internal static class Db
{
    public static async Task<NpgsqlCommand> CommandAsync(PanoramaxDbContext db, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        if (conn.State != ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(ct);
        }
        var cmd = new NpgsqlCommand(sql, conn, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.Add(value is NpgsqlParameter p ? p : new NpgsqlParameter(name, value ?? DBNull.Value));
        }
        return cmd;
    }

    public static async Task<int> ExecAsync(PanoramaxDbContext db, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = await CommandAsync(db, sql, ct, parameters);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<T?> ScalarAsync<T>(PanoramaxDbContext db, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = await CommandAsync(db, sql, ct, parameters);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)value;
    }

    public static NpgsqlConnection Connection(PanoramaxDbContext db) => (NpgsqlConnection)db.Database.GetDbConnection();

    public static NpgsqlTransaction? Transaction(PanoramaxDbContext db) => (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
}
