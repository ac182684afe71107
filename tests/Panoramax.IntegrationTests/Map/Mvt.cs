using NetTopologySuite.IO.VectorTiles.Mapbox;

namespace Panoramax.IntegrationTests.Map;

/// <summary>A decoded feature: its geometry type and its properties with their MVT value types kept (long, double, string, bool).</summary>
public sealed record MvtFeature(Tile.GeomType Type, IReadOnlyDictionary<string, object> Properties);

/// <summary>Decodes MVT bytes at the protobuf level, so tests see exactly which value types the server wrote.</summary>
public static class Mvt
{
    public static Dictionary<string, List<MvtFeature>> Decode(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        var tile = ProtoBuf.Serializer.Deserialize<Tile>(stream);
        var layers = new Dictionary<string, List<MvtFeature>>();
        foreach (var layer in tile.Layers)
        {
            Assert.Equal(4096u, layer.Extent);
            var features = layer.Features.Select(f =>
            {
                var props = new Dictionary<string, object>();
                for (var i = 0; i + 1 < f.Tags.Count; i += 2)
                {
                    props[layer.Keys[(int)f.Tags[i]]] = Value(layer.Values[(int)f.Tags[i + 1]]);
                }
                return new MvtFeature(f.Type, props);
            }).ToList();
            layers.Add(layer.Name, features);
        }
        return layers;
    }

    private static object Value(Tile.Value v) =>
        v.HasStringValue ? v.StringValue
        : v.HasDoubleValue ? v.DoubleValue
        : v.HasFloatValue ? (double)v.FloatValue
        : v.HasIntValue ? v.IntValue
        : v.HasSIntValue ? v.SintValue
        : v.HasUIntValue ? (long)v.UintValue
        : v.HasBoolValue ? v.BoolValue
        : throw new InvalidOperationException("empty MVT value");

    /// <summary>The tile (slippy-map scheme) containing a WGS84 point.</summary>
    public static (int X, int Y) TileOf(double lon, double lat, int z)
    {
        var n = 1 << z;
        var x = (int)Math.Floor((lon + 180) / 360 * n);
        var rad = lat * Math.PI / 180;
        var y = (int)Math.Floor((1 - Math.Log(Math.Tan(rad) + 1 / Math.Cos(rad)) / Math.PI) / 2 * n);
        return (x, y);
    }
}
