using System.Text.Json;
using Panoramax.Blurring.Detection;
using Panoramax.Blurring.Remote;

namespace Panoramax.UnitTests.Blurring;

/// <summary>The JSON exchanged with blurring services: what we write, and what we read from SGBlur or another instance.</summary>
public sealed class BlurMetadataTests
{
    [Fact]
    public void Detections_become_annotations_with_class_model_and_confidence_qualifiers()
    {
        var detections = new[] { new ObjectDetection(DetectionClasses.Face, 0.7891f, new PixelBox(447.6, 129.2, 468.1, 158.9)) };

        var json = BlurMetadata.From("Panoramax C# blur", detections, 512, 384, _ => "yunet_n_dynamic.onnx").ToJson();

        var annotation = JsonDocument.Parse(json).RootElement.GetProperty("annotations")[0];
        Assert.Equal([447, 129, 469, 159], annotation.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        var tags = annotation.GetProperty("semantics").EnumerateArray().Select(t => (t.GetProperty("key").GetString(), t.GetProperty("value").GetString()));
        Assert.Equal(
            [("panoramax:blurred", "face"), ("detection_model[panoramax:blurred=face]", "yunet_n_dynamic.onnx"), ("detection_confidence[panoramax:blurred=face]", "0.79")],
            tags);
    }

    [Fact]
    public void Boxes_are_clipped_to_the_picture()
    {
        var detections = new[] { new ObjectDetection(DetectionClasses.Plate, 0.5f, new PixelBox(-5, -2, 600, 400)) };

        var metadata = BlurMetadata.From("x", detections, 512, 384, _ => "m");

        Assert.Equal([0, 0, 512, 384], metadata.Annotations[0].Shape);
    }

    [Fact]
    public void What_we_write_reads_back_as_the_same_detections()
    {
        var detections = new[] { new ObjectDetection(DetectionClasses.Plate, 0.42f, new PixelBox(10, 20, 30, 40)) };

        var read = BlurMetadata.TryParseDetections(BlurMetadata.From("x", detections, 100, 100, _ => "m").ToJson());

        var detection = Assert.Single(read!);
        Assert.Equal((DetectionClasses.Plate, 0.42f, new PixelBox(10, 20, 30, 40)), (detection.Class, detection.Confidence, detection.Box));
    }

    [Theory]
    [InlineData("""{"service_name":"SGBlur","annotations":[{"shape":[144,96,208,160],"semantics":[{"key":"osm|traffic_sign","value":"yes"},{"key":"detection_confidence[osm|traffic_sign=yes]","value":"0.313"}]}]}""", "osm|traffic_sign", 0.313)]
    [InlineData("""{"info":[{"class":"sign","confidence":0.313,"xywh":[144,96,64,64]}],"salt":"abc"}""", "sign", 0.313)]
    public void SgBlur_metadata_of_both_generations_is_understood(string json, string cls, double confidence)
    {
        var detection = Assert.Single(BlurMetadata.TryParseDetections(json)!);

        Assert.Equal(cls, detection.Class);
        Assert.Equal(confidence, detection.Confidence, 3);
        Assert.Equal((144, 96, 208, 160), ((int)detection.Box.X1, (int)detection.Box.Y1, (int)detection.Box.X2, (int)detection.Box.Y2));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("")]
    public void Unparsable_metadata_is_ignored(string json) => Assert.Null(BlurMetadata.TryParseDetections(json));

    [Fact]
    public void Malformed_annotations_are_skipped_not_fatal()
    {
        var read = BlurMetadata.TryParseDetections("""{"annotations":[{"shape":[1,2]},{"shape":"x"},{"shape":[1,2,3,4],"semantics":[{"key":"panoramax:blurred","value":"face"}]}]}""");

        Assert.Equal(DetectionClasses.Face, Assert.Single(read!).Class);
    }
}
