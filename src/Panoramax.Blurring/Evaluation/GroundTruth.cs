using System.Globalization;
using System.Xml.Linq;
using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring.Evaluation;

/// <summary>Known objects of one picture, from a public annotated set.</summary>
public sealed record AnnotatedPicture(string Path, IReadOnlyList<ObjectDetection> Objects);

/// <summary>
/// Readers for the annotation formats of the shared evaluation sets, used by the quality benchmark and the
/// tests: dlib imglab XML (faces) and openalpr benchmark text files (plates).
/// </summary>
public static class GroundTruth
{
    /// <summary>dlib imglab XML: <c>&lt;image file=…&gt;&lt;box top left width height/&gt;</c>; boxes marked ignore are skipped.</summary>
    public static IReadOnlyList<AnnotatedPicture> ReadDlibXml(string xmlPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(xmlPath))!;
        var doc = XDocument.Load(xmlPath);
        return
        [
            .. doc.Descendants("image").Select(img => new AnnotatedPicture(
                Path.Combine(dir, (string)img.Attribute("file")!),
                [
                    .. img.Elements("box")
                        .Where(b => (string?)b.Attribute("ignore") != "1")
                        .Select(b => new ObjectDetection(
                            DetectionClasses.Face,
                            1,
                            PixelBox.FromXywh(Num(b, "left"), Num(b, "top"), Num(b, "width"), Num(b, "height")))),
                ])),
        ];
    }

    /// <summary>openalpr benchmarks: one tab-separated line per plate, <c>file x y w h PLATE</c>, beside the image.</summary>
    public static AnnotatedPicture ReadOpenAlpr(string txtPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(txtPath))!;
        string? file = null;
        var boxes = new List<ObjectDetection>();
        foreach (var line in File.ReadAllLines(txtPath))
        {
            var f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 5)
            {
                continue;
            }
            file = f[0];
            boxes.Add(new ObjectDetection(
                DetectionClasses.Plate,
                1,
                PixelBox.FromXywh(Parse(f[1]), Parse(f[2]), Parse(f[3]), Parse(f[4]))));
        }
        file ??= Path.ChangeExtension(Path.GetFileName(txtPath), ".jpg");
        return new AnnotatedPicture(Path.Combine(dir, file), boxes);
    }

    /// <summary>Every *.txt of an openalpr folder.</summary>
    public static IReadOnlyList<AnnotatedPicture> ReadOpenAlprFolder(string folder) =>
        [.. Directory.GetFiles(folder, "*.txt").Order(StringComparer.Ordinal).Select(ReadOpenAlpr)];

    private static double Num(XElement e, string name) => Parse((string)e.Attribute(name)!);

    private static double Parse(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
