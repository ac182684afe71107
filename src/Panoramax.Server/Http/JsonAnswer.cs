using System.Buffers;
using System.Text.Json;

namespace Panoramax.Server.Http;

/// <summary>
/// A JSON answer written with a <see cref="Utf8JsonWriter"/> into pooled memory, for the hot list routes (search,
/// items). An answer that fits in one chunk goes out in a single write with a Content-Length: every extra flush of
/// a streamed body is one more wait on the socket, and those waits were most of the gap between /api/search and
/// its SQL. Larger answers (a 10,000-item page) leave chunk by chunk, so memory stays bounded.
/// </summary>
public sealed class JsonAnswer(string contentType, Func<JsonAnswer.Body, CancellationToken, Task> write) : IResult
{
    /// <summary>Size of one chunk; answers smaller than this are sent whole.</summary>
    public const int ChunkSize = 512 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = ApiJson.Options.Encoder };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var ct = httpContext.RequestAborted;
        httpContext.Response.ContentType = contentType;
        await using var body = new Body(httpContext.Response);
        await write(body, ct);
        await body.CompleteAsync(ct);
    }

    /// <summary>The answer being written: its writer, and the place to call between items.</summary>
    public sealed class Body : IAsyncDisposable
    {
        private readonly HttpResponse _response;
        private readonly PooledBufferWriter _buffer = new();
        private bool _sentChunk;

        internal Body(HttpResponse response)
        {
            _response = response;
            Writer = new Utf8JsonWriter(_buffer, WriterOptions);
        }

        public Utf8JsonWriter Writer { get; }

        /// <summary>Sends a chunk when one is full.</summary>
        public async ValueTask CheckpointAsync(CancellationToken ct)
        {
            if (_buffer.WrittenCount + Writer.BytesPending < ChunkSize)
            {
                return;
            }
            await Writer.FlushAsync(ct);
            _sentChunk = true;
            await _response.Body.WriteAsync(_buffer.WrittenMemory, ct);
            _buffer.Clear();
        }

        internal async Task CompleteAsync(CancellationToken ct)
        {
            await Writer.FlushAsync(ct);
            if (!_sentChunk)
            {
                _response.ContentLength = _buffer.WrittenCount;
            }
            await _response.Body.WriteAsync(_buffer.WrittenMemory, ct);
        }

        public async ValueTask DisposeAsync()
        {
            await Writer.DisposeAsync();
            _buffer.Dispose();
        }
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over arrays rented from the shared pool (no large-object-heap garbage per request).</summary>
    private sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private byte[] _array = ArrayPool<byte>.Shared.Rent(16 * 1024);

        public int WrittenCount { get; private set; }

        public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, WrittenCount);

        public void Advance(int count) => WrittenCount += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _array.AsMemory(WrittenCount);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _array.AsSpan(WrittenCount);
        }

        public void Clear() => WrittenCount = 0;

        private void Ensure(int sizeHint)
        {
            var needed = WrittenCount + Math.Max(sizeHint, 256);
            if (needed <= _array.Length)
            {
                return;
            }
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _array.Length * 2));
            _array.AsSpan(0, WrittenCount).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_array);
    }
}
