using System.Buffers.Binary;
using NetVips;

namespace Panoramax.Blurring;

/// <summary>
/// EXIF may carry a small JPEG preview of the picture (IFD1). libvips keeps it when saving, so a blurred picture
/// would still embed its unblurred preview: we unlink IFD1 from the EXIF block before writing.
/// </summary>
public static class ExifThumbnail
{
    /// <summary>Returns a copy of <paramref name="image"/> whose EXIF has no IFD1 (no preview); other metadata untouched.</summary>
    public static Image Remove(Image image)
    {
        var fields = image.GetFields();
        if (!fields.Contains("exif-data"))
        {
            return image.Copy();
        }
        var exif = (byte[])image.Get("exif-data");
        var cleaned = WithoutIfd1(exif);
        if (cleaned is null && !fields.Contains("jpeg-thumbnail-data"))
        {
            return image.Copy();
        }
        return image.Mutate(m =>
        {
            if (cleaned is not null)
            {
                m.Set(GValue.BlobType, "exif-data", cleaned);
            }
            if (fields.Contains("jpeg-thumbnail-data"))
            {
                m.Remove("jpeg-thumbnail-data");
            }
        });
    }

    /// <summary>
    /// The same EXIF block with IFD0's "next IFD" link set to 0, or null when there is no IFD1 (or the block is
    /// not understood, in which case it is left alone). libvips re-serialises EXIF on save, dropping the orphaned bytes.
    /// </summary>
    public static byte[]? WithoutIfd1(byte[] exif)
    {
        // libvips blobs start with the APP1 "Exif\0\0" header; the TIFF structure follows.
        var tiff = exif.Length >= 6 && exif[0] == (byte)'E' && exif[1] == (byte)'x' && exif[2] == (byte)'i' && exif[3] == (byte)'f' ? 6 : 0;
        if (exif.Length < tiff + 8)
        {
            return null;
        }
        bool little;
        if (exif[tiff] == 'I' && exif[tiff + 1] == 'I')
        {
            little = true;
        }
        else if (exif[tiff] == 'M' && exif[tiff + 1] == 'M')
        {
            little = false;
        }
        else
        {
            return null;
        }
        var span = exif.AsSpan();
        var ifd0 = ReadU32(span[(tiff + 4)..], little);
        if (ifd0 < 8 || tiff + (long)ifd0 + 2 > exif.Length)
        {
            return null;
        }
        var count = ReadU16(span[(tiff + (int)ifd0)..], little);
        var nextAt = tiff + (long)ifd0 + 2 + (12L * count);
        if (nextAt + 4 > exif.Length || ReadU32(span[(int)nextAt..], little) == 0)
        {
            return null;
        }
        var copy = (byte[])exif.Clone();
        copy.AsSpan((int)nextAt, 4).Clear();
        return copy;
    }

    private static uint ReadU32(ReadOnlySpan<byte> s, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);

    private static ushort ReadU16(ReadOnlySpan<byte> s, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
}
