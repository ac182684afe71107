using System.IO.Compression;
using System.Security.Cryptography;

namespace Panoramax.Server.Map;

/// <summary>
/// The instance's own base map: one light, neutral 256×256 PNG with a faint line on its top and left edges (so the
/// tiles draw a graticule), answered for every z/x/y. The viewer only finishes loading once a tiled base source has
/// loaded, and this needs no third-party server. Made once, in memory, at start-up.
/// </summary>
public sealed class BaseMapTile
{
    private const int Size = 256;
    private static readonly byte[] Paper = [0xF3, 0xF1, 0xEC];
    private static readonly byte[] Line = [0xE0, 0xDD, 0xD6];

    public BaseMapTile()
    {
        Png = Encode();
        ETag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Png).AsSpan(0, 8))}\"";
    }

    public byte[] Png { get; }
    public string ETag { get; }

    private static byte[] Encode()
    {
        // Scanlines: filter byte 0 then RGB pixels.
        var raw = new byte[Size * (1 + Size * 3)];
        for (var y = 0; y < Size; y++)
        {
            var row = y * (1 + Size * 3);
            for (var x = 0; x < Size; x++)
            {
                var colour = x == 0 || y == 0 ? Line : Paper;
                colour.CopyTo(raw, row + 1 + x * 3);
            }
        }
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(raw);
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        WriteBigEndian(header, 0, Size);
        WriteBigEndian(header, 4, Size);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour RGB
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", idat.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        var buffer = new byte[4];
        WriteBigEndian(buffer, 0, (uint)data.Length);
        s.Write(buffer);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        s.Write(typed);
        WriteBigEndian(buffer, 0, Crc32(typed));
        s.Write(buffer);
    }

    private static void WriteBigEndian(byte[] b, int offset, uint value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(offset), value);

    private static uint Crc32(byte[] data)
    {
        // PNG's CRC-32 (ISO 3309, reflected 0xEDB88320); only run for the three chunks of one image.
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }
}
