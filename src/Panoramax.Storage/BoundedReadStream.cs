namespace Panoramax.Storage;

/// <summary>
/// A read-only view of at most <c>limit</c> bytes of an inner stream, owning it (and whatever else must be
/// released with it, such as an HTTP response), so a byte range can be handed out as a plain stream.
/// </summary>
internal sealed class BoundedReadStream(Stream inner, long? limit, IDisposable? owner = null) : Stream
{
    private long? _remaining = limit;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(Clamp(buffer));
        _remaining -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(Clamp(buffer), cancellationToken);
        _remaining -= n;
        return n;
    }

    private Span<byte> Clamp(Span<byte> buffer) => _remaining is { } r && r < buffer.Length ? buffer[..(int)r] : buffer;

    private Memory<byte> Clamp(Memory<byte> buffer) => _remaining is { } r && r < buffer.Length ? buffer[..(int)r] : buffer;

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            owner?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        owner?.Dispose();
        await base.DisposeAsync();
    }
}
