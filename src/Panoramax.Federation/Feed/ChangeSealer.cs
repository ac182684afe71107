using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Federation;
using Panoramax.Federation.Signing;

namespace Panoramax.Federation.Feed;

/// <summary>
/// Turns the outbox that writers append to (<c>ChangeLogWriter.AppendAsync</c>, payload null) into the signed feed:
/// in seq order, renders each record's public metadata from its current state (a record no longer public becomes a
/// tombstone, so nothing private ever leaks), chains the entry hashes and signs checkpoints, then marks entries sealed.
/// One sealer per database at a time (PostgreSQL advisory lock), woken by NOTIFY after each local commit.
/// </summary>
public sealed class ChangeSealer(
    NpgsqlDataSource db,
    IPayloadRenderer renderer,
    InstanceKeyStore key,
    FeedSignal signal,
    IOptions<FederationOptions> options,
    TimeProvider clock,
    ILogger<ChangeSealer> logger) : BackgroundService
{
    public const string NotifyChannel = Persistence.ChangeLog.ChangeLogWriter.NotifyChannel;
    /// <summary>Advisory lock key ("PNXSEAL" as a number): only one sealer per database.</summary>
    private const long LockKey = 0x504E_5853_4541_4C;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var listener = await db.OpenConnectionAsync(stoppingToken);
                var woken = 0;
                listener.Notification += (_, _) => Interlocked.Exchange(ref woken, 1);
                await using (var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", listener))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                while (!stoppingToken.IsCancellationRequested)
                {
                    Interlocked.Exchange(ref woken, 0);
                    int sealedCount;
                    do
                    {
                        sealedCount = await SealBatchAsync(stoppingToken);
                    }
                    while (sealedCount >= options.Value.BatchSize);
                    if (Volatile.Read(ref woken) == 0)
                    {
                        await listener.WaitAsync(options.Value.SealInterval, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning(e, "Sealing the change log failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Seals up to one batch; returns how many entries it sealed (0 when none waited or another sealer holds the lock).</summary>
    public async Task<int> SealBatchAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(@k)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue("k", LockKey);
            if (await lockCmd.ExecuteScalarAsync(ct) is not true)
            {
                return 0;
            }
        }

        Guid self;
        await using (var selfCmd = new NpgsqlCommand("SELECT id FROM instances WHERE is_self", conn, tx))
        {
            if (await selfCmd.ExecuteScalarAsync(ct) is not Guid id)
            {
                return 0;
            }
            self = id;
        }

        long lastSeq = 0;
        var prev = new byte[FeedCrypto.HashSize];
        await using (var last = new NpgsqlCommand(
            "SELECT seq, entry_hash FROM change_log WHERE origin_instance_id = @o AND sealed_at IS NOT NULL ORDER BY seq DESC LIMIT 1", conn, tx))
        {
            last.Parameters.AddWithValue("o", self);
            await using var r = await last.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                lastSeq = r.GetInt64(0);
                prev = (byte[])r[1];
            }
        }

        var pending = new List<(long Seq, EntityKind Kind, Guid Entity, long Version, DateTimeOffset CreatedAt)>();
        await using (var q = new NpgsqlCommand("""
            SELECT seq, entity_kind, entity_id, entity_version, created_at FROM change_log
            WHERE origin_instance_id = @o AND sealed_at IS NULL ORDER BY seq LIMIT @n
            """, conn, tx))
        {
            q.Parameters.AddWithValue("o", self);
            q.Parameters.AddWithValue("n", o.BatchSize);
            await using var r = await q.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                pending.Add((r.GetInt64(0), ApiNames.ParseApiName<EntityKind>(r.GetString(1)), r.GetGuid(2), r.GetInt64(3), r.GetFieldValue<DateTimeOffset>(4)));
            }
        }
        if (pending.Count == 0)
        {
            return 0;
        }
        if (pending[0].Seq != lastSeq + 1)
        {
            throw new InvalidOperationException($"The change log of this instance has a hole: last sealed seq {lastSeq}, next unsealed {pending[0].Seq}.");
        }

        var now = clock.GetUtcNow();
        await using var batch = new NpgsqlBatch(conn, tx);
        for (var i = 0; i < pending.Count; i++)
        {
            var (seq, kind, entity, version, createdAt) = pending[i];
            // Current state, not the state at write time: what is not public now must not go out.
            var rendered = await renderer.RenderAsync(kind, entity, ct);
            var op = rendered.Json is null ? ChangeOp.Tombstone : ChangeOp.Upsert;
            var entryVersion = Math.Max(version, rendered.Version);
            var payloadHash = FeedCrypto.PayloadHash(rendered.Json);
            var createdUs = FeedCrypto.ToUnixMicros(createdAt);
            var hash = FeedCrypto.EntryHash(self, seq, kind, entity, op, entryVersion, createdUs, payloadHash, prev);
            byte[]? signature = null;
            if (i == pending.Count - 1 || seq % o.CheckpointEvery == 0)
            {
                signature = key.Sign(FeedCrypto.CheckpointBytes(self, seq, hash));
            }
            var cmd = new NpgsqlBatchCommand("""
                UPDATE change_log SET op = @op, entity_version = @v, payload = @payload, payload_hash = @ph, prev_hash = @prev,
                    entry_hash = @hash, signature = @sig, sealed_at = @now
                WHERE origin_instance_id = @o AND seq = @seq
                """);
            cmd.Parameters.AddWithValue("op", op.ToApiName());
            cmd.Parameters.AddWithValue("v", entryVersion);
            cmd.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Text) { Value = (object?)rendered.Json ?? DBNull.Value });
            cmd.Parameters.Add(new NpgsqlParameter("ph", NpgsqlDbType.Bytea) { Value = rendered.Json is null ? DBNull.Value : payloadHash });
            cmd.Parameters.Add(new NpgsqlParameter("prev", NpgsqlDbType.Bytea) { Value = seq == 1 ? DBNull.Value : prev });
            cmd.Parameters.AddWithValue("hash", hash);
            cmd.Parameters.Add(new NpgsqlParameter("sig", NpgsqlDbType.Bytea) { Value = (object?)signature ?? DBNull.Value });
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("o", self);
            cmd.Parameters.AddWithValue("seq", seq);
            batch.BatchCommands.Add(cmd);
            prev = hash;
        }
        await batch.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogDebug("Sealed change-log entries {From}–{To}", pending[0].Seq, pending[^1].Seq);
        signal.Pulse();
        return pending.Count;
    }
}
