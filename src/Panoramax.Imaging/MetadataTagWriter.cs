using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Panoramax.Imaging;

/// <summary>One EXIF or XMP tag the uploader wants written into the stored JPEG, in exiv2's key notation
/// (<c>Exif.Image.Artist</c>, <c>Xmp.GPano.ProjectionType</c>); an empty value removes the tag.</summary>
public sealed record MetadataTag(string Key, string Value);

/// <summary>Why tags could not be written: the uploader's mistake (unknown key, bad value) or a missing tool.</summary>
public sealed class MetadataTagException(string message, bool toolMissing) : Exception(message)
{
    /// <summary>True when exiv2 is not installed: the instance, not the uploader, has to act.</summary>
    public bool ToolMissing { get; } = toolMissing;
}

/// <summary>
/// Writes EXIF/XMP tags into a JPEG in place, without re-encoding the picture, through the exiv2 command-line tool
/// (the same library and key notation GeoVisio uses for its <c>override_Exif.*</c>/<c>override_Xmp.*</c> upload
/// fields, so tag names and value syntax mean the same on both servers). Commands go through a command file and
/// an argument list, never a shell, so values cannot inject anything.
/// </summary>
public sealed partial class MetadataTagWriter(string exiv2Path = "exiv2")
{
    /// <summary>Most tags one upload may set; more is certainly a mistake.</summary>
    public const int MaxTags = 50;

    /// <summary>Longest value accepted for one tag.</summary>
    public const int MaxValueLength = 2000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Checks the key and value syntax; returns an error message worded for the uploader, or null when fine.</summary>
    public static string? Validate(MetadataTag tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (!KeyPattern().IsMatch(tag.Key))
        {
            return $"'{tag.Key}' is not an EXIF/XMP key in exiv2 notation, such as Exif.Image.Artist or Xmp.GPano.ProjectionType";
        }
        if (tag.Value.Length > MaxValueLength)
        {
            return $"the value of {tag.Key} is longer than {MaxValueLength} characters";
        }
        return tag.Value.Any(char.IsControl) ? $"the value of {tag.Key} contains control characters (line breaks, tabs)" : null;
    }

    /// <summary>Writes the tags into <paramref name="jpegPath"/>; throws <see cref="MetadataTagException"/> when exiv2 refuses.</summary>
    public async Task WriteAsync(string jpegPath, IReadOnlyList<MetadataTag> tags, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count == 0)
        {
            return;
        }
        var commands = new StringBuilder();
        foreach (var tag in tags)
        {
            if (Validate(tag) is { } error)
            {
                throw new MetadataTagException(error, toolMissing: false);
            }
            commands.Append(tag.Value.Length == 0 ? $"del {tag.Key}\n" : $"set {tag.Key} {tag.Value}\n");
        }
        var commandFile = Path.Combine(Path.GetTempPath(), $"panoramax-exiv2-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(commandFile, commands.ToString(), new UTF8Encoding(false), ct);
        try
        {
            var start = new ProcessStartInfo(exiv2Path)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "-m", commandFile, "modify", jpegPath })
            {
                start.ArgumentList.Add(arg);
            }
            using var process = StartOrExplain(start);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (ct.IsCancellationRequested)
                {
                    throw;
                }
                throw new MetadataTagException($"exiv2 did not finish writing the tags within {Timeout.TotalSeconds:F0} s", toolMissing: false);
            }
            await stdout;
            if (process.ExitCode != 0)
            {
                throw new MetadataTagException(Explain(await stderr, commandFile, jpegPath), toolMissing: false);
            }
        }
        finally
        {
            File.Delete(commandFile);
        }
    }

    private Process StartOrExplain(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new MetadataTagException($"could not start {exiv2Path}", toolMissing: true);
        }
        catch (Win32Exception)
        {
            throw new MetadataTagException($"this instance cannot write EXIF/XMP tags: the exiv2 tool ({exiv2Path}) is not installed", toolMissing: true);
        }
    }

    // exiv2 names our temporary files in its messages; the uploader knows neither of them.
    private static string Explain(string stderr, string commandFile, string jpegPath)
    {
        var lines = stderr.Replace(commandFile, "override", StringComparison.Ordinal)
            .Replace(jpegPath, "the file", StringComparison.Ordinal)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("exiv2: Error parsing", StringComparison.Ordinal));
        var text = string.Join("; ", lines);
        return text.Length == 0 ? "exiv2 could not write the tags into the file" : $"exiv2 could not write the tags: {text}";
    }

    [GeneratedRegex(@"^(Exif|Xmp)\.[A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9_:\[\]/.]*$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
