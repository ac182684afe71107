using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Panoramax.Blurring.Detection;

namespace Panoramax.Blurring.Remote;

/// <summary>
/// The JSON a Panoramax blurring service returns beside the blurred picture (the <c>metadata</c> part, or the
/// <c>x-sgblur</c> header): each detection is an annotation with its pixel box and Panoramax semantics tags, so a
/// GeoVisio server calling us stores them as it stores SGBlur's.
/// </summary>
public sealed record BlurMetadata(
    [property: JsonPropertyName("service_name")] string ServiceName,
    [property: JsonPropertyName("annotations")] IReadOnlyList<BlurAnnotation> Annotations)
{
    /// <summary>The tag naming what was hidden; its value is the detection class (<c>face</c>, <c>plate</c>).</summary>
    public const string BlurredKey = "panoramax:blurred";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Annotations for <paramref name="detections"/>; boxes are rounded outwards and clipped to the picture.</summary>
    public static BlurMetadata From(string serviceName, IEnumerable<ObjectDetection> detections, int width, int height, Func<string, string> modelOf)
    {
        var annotations = detections.Select(d =>
        {
            var box = d.Box.Clip(width, height);
            var tag = $"{BlurredKey}={d.Class}";
            return new BlurAnnotation(
                [(int)Math.Floor(box.X1), (int)Math.Floor(box.Y1), (int)Math.Ceiling(box.X2), (int)Math.Ceiling(box.Y2)],
                [
                    new BlurSemantic(BlurredKey, d.Class),
                    new BlurSemantic($"detection_model[{tag}]", modelOf(d.Class)),
                    new BlurSemantic($"detection_confidence[{tag}]", d.Confidence.ToString("0.00", CultureInfo.InvariantCulture)),
                ]);
        }).ToList();
        return new BlurMetadata(serviceName, annotations);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Reads the detections of a blurring service's answer: our annotations, SGBlur's annotations
    /// (<c>osm|traffic_sign=yes</c>…) or its legacy <c>info</c> list. Returns null when the text is not such JSON:
    /// metadata is informative, a picture must not fail because of it.
    /// </summary>
    public static IReadOnlyList<ObjectDetection>? TryParseDetections(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var found = new List<ObjectDetection>();
            if (doc.RootElement.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Array)
            {
                found.AddRange(annotations.EnumerateArray().Select(FromAnnotation).OfType<ObjectDetection>());
            }
            if (doc.RootElement.TryGetProperty("info", out var info) && info.ValueKind == JsonValueKind.Array)
            {
                found.AddRange(info.EnumerateArray().Select(FromSgBlurInfo).OfType<ObjectDetection>());
            }
            return found;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ObjectDetection? FromAnnotation(JsonElement a)
    {
        if (a.ValueKind != JsonValueKind.Object || !a.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array || shape.GetArrayLength() != 4
            || shape.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
        {
            return null;
        }
        var s = shape.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        string? cls = null;
        float confidence = 1;
        if (a.TryGetProperty("semantics", out var semantics) && semantics.ValueKind == JsonValueKind.Array)
        {
            foreach (var tag in semantics.EnumerateArray())
            {
                if (tag.ValueKind != JsonValueKind.Object || !tag.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String
                    || !tag.TryGetProperty("value", out var v) || v.ValueKind != JsonValueKind.String)
                {
                    continue;
                }
                var key = k.GetString()!;
                var value = v.GetString()!;
                if (key.StartsWith("detection_confidence[", StringComparison.Ordinal)
                    && float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var c))
                {
                    confidence = c;
                }
                else if (key == BlurredKey)
                {
                    cls = value;
                }
                else if (cls is null && !key.Contains('[', StringComparison.Ordinal))
                {
                    // SGBlur tags what it saw with OSM-like keys (osm|traffic_sign=yes): keep the key as the class.
                    cls = key;
                }
            }
        }
        return new ObjectDetection(cls ?? "unknown", confidence, new PixelBox(s[0], s[1], s[2], s[3]));
    }

    private static ObjectDetection? FromSgBlurInfo(JsonElement i)
    {
        if (i.ValueKind != JsonValueKind.Object || !i.TryGetProperty("xywh", out var xywh) || xywh.ValueKind != JsonValueKind.Array || xywh.GetArrayLength() != 4
            || xywh.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
        {
            return null;
        }
        var b = xywh.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var cls = i.TryGetProperty("class", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "unknown";
        var confidence = i.TryGetProperty("confidence", out var conf) && conf.ValueKind == JsonValueKind.Number ? conf.GetSingle() : 1f;
        return new ObjectDetection(cls, confidence, PixelBox.FromXywh(b[0], b[1], b[2], b[3]));
    }
}

/// <summary>One hidden region: <c>shape</c> is <c>[x1, y1, x2, y2]</c> in pixels of the returned (upright) picture.</summary>
public sealed record BlurAnnotation(
    [property: JsonPropertyName("shape")] IReadOnlyList<int> Shape,
    [property: JsonPropertyName("semantics")] IReadOnlyList<BlurSemantic> Semantics);

/// <summary>A Panoramax semantics tag.</summary>
public sealed record BlurSemantic(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("value")] string Value);
