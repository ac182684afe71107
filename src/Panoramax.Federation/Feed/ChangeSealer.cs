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
    IHostApplicationLifetime lifetime,
    ILogger<ChangeSealer> logger) : BackgroundService
{
    public const string NotifyChannel = Persistence.ChangeLog.ChangeLogWriter.NotifyChannel;
    /// <summary>Advisory lock key ("PNXSEAL" as a number): only one sealer per database.</summary>
    private const long LockKey = 0x504E_5853_4541_4C;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Payloads hold absolute hrefs, known once the server listens: before that every batch would fail and wait.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
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
        var started = clock.GetTimestamp();
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

        // The chain continues from the entry just before the first unsealed one, read by primary key. (Looking for
        // "the last sealed entry" walked the key backwards over every unsealed entry: quadratic on a big backlog.)
        var first = pending[0].Seq;
        var prev = new byte[FeedCrypto.HashSize];
        if (first != 1)
        {
            await using var last = new NpgsqlCommand(
                "SELECT entry_hash FROM change_log WHERE origin_instance_id = @o AND seq = @s AND sealed_at IS NOT NULL", conn, tx);
            last.Parameters.AddWithValue("o", self);
            last.Parameters.AddWithValue("s", first - 1);
            prev = await last.ExecuteScalarAsync(ct) as byte[]
                ?? throw new InvalidOperationException($"The change log of this instance has a hole: entry {first - 1} is not sealed, next unsealed {first}.");
        }
        for (var i = 1; i < pending.Count; i++)
        {
            if (pending[i].Seq != first + i)
            {
                throw new InvalidOperationException($"The change log of this instance has a hole: unsealed {pending[i - 1].Seq} then {pending[i].Seq}.");
            }
        }

        var read = clock.GetTimestamp();
        // Rendering (reads on other pooled connections) of the next chunk overlaps the write of this one, all in this
        // one transaction. Current state, not the state at write time: what is not public now must not go out.
        var requests = pending.Select(p => new RenderRequest(p.Kind, p.Entity)).ToList();
        var chunk = Math.Max(100, (requests.Count + 3) / 4);
        var now = clock.GetUtcNow();
        var waited = TimeSpan.Zero;
        var writing = TimeSpan.Zero;
        Task<IReadOnlyList<RenderedPayload>>? next = renderer.RenderManyAsync(requests.GetRange(0, Math.Min(chunk, requests.Count)), ct);
        try
        {
            for (var from = 0; from < pending.Count; from += chunk)
            {
                var t = clock.GetTimestamp();
                var rendered = await next!;
                next = null;
                var count = Math.Min(chunk, pending.Count - from);
                if (from + count < pending.Count)
                {
                    next = renderer.RenderManyAsync(requests.GetRange(from + count, Math.Min(chunk, pending.Count - from - count)), ct);
                }
                var entries = new SealedEntries(count);
                for (var i = 0; i < count; i++)
                {
                    var (seq, kind, entity, version, createdAt) = pending[from + i];
                    var payload = rendered[i];
                    var op = payload.Json is null ? ChangeOp.Tombstone : ChangeOp.Upsert;
                    var entryVersion = Math.Max(version, payload.Version);
                    var payloadHash = FeedCrypto.PayloadHash(payload.Json);
                    var hash = FeedCrypto.EntryHash(self, seq, kind, entity, op, entryVersion, FeedCrypto.ToUnixMicros(createdAt), payloadHash, prev);
                    var signature = from + i == pending.Count - 1 || seq % o.CheckpointEvery == 0
                        ? key.Sign(FeedCrypto.CheckpointBytes(self, seq, hash))
                        : null;
                    entries.Set(i, seq, op, entryVersion, payload.Json, payloadHash, seq == 1 ? null : prev, hash, signature);
                    prev = hash;
                }
                var w = clock.GetTimestamp();
                waited += clock.GetElapsedTime(t, w);
                await WriteAsync(conn, tx, self, entries, now, ct);
                writing += clock.GetElapsedTime(w);
            }
        }
        finally
        {
            // A failed write leaves the next chunk's rendering running: let it end before the connection goes back.
            if (next is not null)
            {
                await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        var written = clock.GetTimestamp();
        await tx.CommitAsync(ct);
        // Where a batch's time goes (bench: the sealer's log at Debug).
        logger.LogDebug("Sealed change-log entries {From}–{To}: read {Read:F0} ms, render (not overlapped) + hash {Render:F0} ms, write {Write:F0} ms, commit {Commit:F0} ms",
            pending[0].Seq, pending[^1].Seq, clock.GetElapsedTime(started, read).TotalMilliseconds, waited.TotalMilliseconds,
            writing.TotalMilliseconds, clock.GetElapsedTime(written).TotalMilliseconds);
        signal.Pulse();
        return pending.Count;
    }
    /// <summary>One statement for a chunk (arrays unnested side by side) instead of one UPDATE per entry.</summary>
    private static async Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid self, SealedEntries e, DateTimeOffset now, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand("""
            UPDATE change_log c SET op = u.op, entity_version = u.v, payload = u.payload, payload_hash = u.ph, prev_hash = u.prev,
                entry_hash = u.hash, signature = u.sig, sealed_at = @now
            FROM unnest(@seq, @op, @v, @payload, @ph, @prev, @hash, @sig) AS u(seq, op, v, payload, ph, prev, hash, sig)
            WHERE c.origin_instance_id = @o AND c.seq = u.seq AND c.seq BETWEEN @first AND @last
            """, conn, tx);
        var p = update.Parameters;
        p.AddWithValue("now", now);
        p.AddWithValue("o", self);
        p.AddWithValue("first", e.Seqs[0]);
        p.AddWithValue("last", e.Seqs[^1]);
        p.Add(new NpgsqlParameter("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = e.Seqs });
        p.Add(new NpgsqlParameter("op", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = e.Ops });
        p.Add(new NpgsqlParameter("v", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = e.Versions });
        p.Add(new NpgsqlParameter("payload", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = e.Payloads });
        p.Add(new NpgsqlParameter("ph", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = e.PayloadHashes });
        p.Add(new NpgsqlParameter("prev", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = e.Prevs });
        p.Add(new NpgsqlParameter("hash", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = e.Hashes });
        p.Add(new NpgsqlParameter("sig", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = e.Signatures });
        if (await update.ExecuteNonQueryAsync(ct) != e.Seqs.Length)
        {
            throw new InvalidOperationException($"Sealing entries {e.Seqs[0]}–{e.Seqs[^1]} updated an unexpected number of rows.");
        }
    }

    /// <summary>The sealed columns of consecutive entries, column-wise as the UPDATE unnests them.</summary>
    private sealed class SealedEntries(int n)
    {
        public long[] Seqs { get; } = new long[n];
        public string[] Ops { get; } = new string[n];
        public long[] Versions { get; } = new long[n];
        public string?[] Payloads { get; } = new string?[n];
        public byte[]?[] PayloadHashes { get; } = new byte[]?[n];
        public byte[]?[] Prevs { get; } = new byte[]?[n];
        public byte[][] Hashes { get; } = new byte[n][];
        public byte[]?[] Signatures { get; } = new byte[]?[n];

        public void Set(int i, long seq, ChangeOp op, long version, string? payload, byte[] payloadHash, byte[]? prev, byte[] hash, byte[]? signature)
        {
            Seqs[i] = seq;
            Ops[i] = op.ToApiName();
            Versions[i] = version;
            Payloads[i] = payload;
            // Tombstones store no payload hash (the canonical bytes use zeros for it).
            PayloadHashes[i] = payload is null ? null : payloadHash;
            Prevs[i] = prev;
            Hashes[i] = hash;
            Signatures[i] = signature;
        }
    }
}
