using System.Security.Cryptography;

namespace Panoramax.IntegrationTests.Storage;

/// <summary>
/// A non-seekable source of deterministic bytes (nothing held in memory), like a request body: it can fail
/// after a given number of bytes, and hashes what it produced so the stored copy can be checked.
/// </summary>
internal sealed class GeneratedStream(long length, int seed = 1, long? failAfter = null) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public byte[] Sha256() => _hash.GetCurrentHash();

    public static byte ByteAt(long position, int seed) => (byte)(((position * 2_654_435_761L) >> 13) ^ (position >> 7) ^ seed);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (failAfter is { } f && _position >= f)
        {
            throw new IOException("The client went away in the middle of the upload");
        }
        var n = (int)Math.Min(buffer.Length, length - _position);
        if (failAfter is { } limit)
        {
            n = (int)Math.Min(n, limit - _position);
        }
        for (var i = 0; i < n; i++)
        {
            buffer[i] = ByteAt(_position + i, seed);
        }
        _hash.AppendData(buffer[..n]);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// Highest live managed heap (after a forced full collection) seen while an operation runs: what a store keeps in
/// memory, unlike allocation totals that also count short-lived buffers.
/// </summary>
internal sealed class LiveHeapSampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peak;

    public LiveHeapSampler()
    {
        Baseline = GC.GetTotalMemory(forceFullCollection: true);
        _peak = Baseline;
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                var live = GC.GetTotalMemory(forceFullCollection: true);
                if (live > Interlocked.Read(ref _peak))
                {
                    Interlocked.Exchange(ref _peak, live);
                }
                Thread.Sleep(25);
            }
        }) { IsBackground = true, Name = "live-heap-sampler" };
        _thread.Start();
    }

    public long Baseline { get; }
    public long PeakAboveBaseline => Interlocked.Read(ref _peak) - Baseline;

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
