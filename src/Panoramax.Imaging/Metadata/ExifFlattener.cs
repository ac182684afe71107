using System.Globalization;
using System.Text;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Xmp;
using Directory = MetadataExtractor.Directory;

namespace Panoramax.Imaging.Metadata;

/// <summary>
/// Turns MetadataExtractor directories into GeoVisio's flat <c>exif</c> object: exiv2 keys, exiv2-like raw
/// values (rationals as <c>n/d</c>, arrays space-separated). Maker notes, thumbnails and long binary blobs are
/// dropped: they are large, opaque, and may hold serial numbers nobody asked to publish.
/// </summary>
internal static class ExifFlattener
{
    private const int MaxBinaryLength = 64;
    private static readonly HashSet<int> DroppedTags = [0x927C /* MakerNote */, 0xC4A5 /* PrintIM */, 0xEA1C /* Padding */, 0xEA1D /* OffsetSchema */];
    private static readonly HashSet<int> TextBlobTags = [0x9286 /* UserComment */, 0x001B /* GPSProcessingMethod */, 0x001C /* GPSAreaInformation */];

    public static Dictionary<string, string> Flatten(IEnumerable<Directory> directories)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in directories)
        {
            switch (dir)
            {
                case ExifIfd0Directory:
                    AddExif(result, dir, "Exif.Image.", ExifTagNames.Image);
                    break;
                case ExifSubIfdDirectory:
                    AddExif(result, dir, "Exif.Photo.", ExifTagNames.Photo);
                    break;
                case GpsDirectory:
                    AddExif(result, dir, "Exif.GPSInfo.", ExifTagNames.Gps);
                    break;
                case ExifInteropDirectory:
                    AddExif(result, dir, "Exif.Iop.", ExifTagNames.Iop);
                    break;
                case XmpDirectory xmp:
                    AddXmp(result, xmp);
                    break;
            }
        }
        return result;
    }

    private static void AddExif(Dictionary<string, string> result, Directory dir, string prefix, IReadOnlyDictionary<int, string> names)
    {
        foreach (var tag in dir.Tags)
        {
            if (DroppedTags.Contains(tag.Type))
            {
                continue;
            }
            string? value;
            try
            {
                value = TextBlobTags.Contains(tag.Type) ? dir.GetDescription(tag.Type) : Format(dir.GetObject(tag.Type));
            }
            catch (Exception)
            {
                // A malformed value must not cost the whole picture its metadata.
                value = null;
            }
            if (value is null)
            {
                continue;
            }
            var name = names.TryGetValue(tag.Type, out var known) ? known : "0x" + tag.Type.ToString("x4", CultureInfo.InvariantCulture);
            result.TryAdd(prefix + name, value);
        }
    }

    private static void AddXmp(Dictionary<string, string> result, XmpDirectory xmp)
    {
        if (xmp.XmpMeta is null)
        {
            return;
        }
        try
        {
            foreach (var prop in xmp.XmpMeta.Properties)
            {
                var path = prop.Path;
                // Qualifiers (xml:lang) and struct members are not simple values in exiv2's flat view either.
                if (string.IsNullOrEmpty(path) || string.IsNullOrEmpty(prop.Value) || path.Contains('/', StringComparison.Ordinal))
                {
                    continue;
                }
                var colon = path.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }
                var bracket = path.IndexOf('[', StringComparison.Ordinal);
                var name = bracket > 0 ? path[(colon + 1)..bracket] : path[(colon + 1)..];
                var key = $"Xmp.{XmpPrefix(path[..colon])}.{name}";
                // Array items are joined, as exiv2 prints bags and sequences.
                result[key] = result.TryGetValue(key, out var previous) && bracket > 0 ? previous + ", " + prop.Value : prop.Value;
            }
        }
        catch (Exception)
        {
            // Broken XMP trees are ignored, the EXIF part is still useful.
        }
    }

    // XmpCore renames a prefix already taken by another namespace "Prefix_1_"; exiv2 shows the plain prefix.
    private static string XmpPrefix(string prefix)
    {
        var suffix = prefix.LastIndexOf('_', prefix.Length - 2);
        return prefix.Length > 3 && prefix[^1] == '_' && suffix > 0 && prefix[(suffix + 1)..^1].All(char.IsAsciiDigit)
            ? prefix[..suffix]
            : prefix;
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        StringValue s => Clean(s.ToString()),
        string s => Clean(s),
        Rational r => FormatRational(r),
        Rational[] rs => string.Join(' ', rs.Select(FormatRational)),
        StringValue[] ss => Clean(string.Join(' ', ss.Select(s => s.ToString()))),
        byte[] bytes => bytes.Length <= MaxBinaryLength ? string.Join(' ', bytes.Select(b => b.ToString(CultureInfo.InvariantCulture))) : null,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        Array a when a.Length <= MaxBinaryLength => string.Join(' ', a.Cast<object>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture))),
        _ => null,
    };

    private static string FormatRational(Rational r) =>
        r.Numerator.ToString(CultureInfo.InvariantCulture) + "/" + r.Denominator.ToString(CultureInfo.InvariantCulture);

    private static string? Clean(string s)
    {
        var trimmed = s.TrimEnd('\0', ' ');
        if (trimmed.Length == 0)
        {
            return trimmed;
        }
        // Control characters in strings are garbage from corrupt IFDs; they make JSON and logs unreadable.
        var sb = new StringBuilder(trimmed.Length);
        foreach (var c in trimmed)
        {
            if (!char.IsControl(c) || c is '\n' or '\t')
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
