using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Panoramax.Persistence.Queries;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.UnitTests.Stac;

public class StacItemJsonTests
{
    private static readonly Guid Seq = Guid.Parse("5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01");
    private static readonly Guid Pic = Guid.Parse("0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60");
    private static readonly Guid Owner = Guid.Parse("a1b2c3d4-e5f6-4789-abcd-ef0123456789");

    private static ItemRow Row(bool sphere) => new()
    {
        Id = Pic,
        SequenceId = Seq,
        Rank = 7,
        Lon = 11.880123456789,
        Lat = 43.4671,
        CapturedAt = new DateTimeOffset(2023, 5, 1, 10, 0, 2, TimeSpan.Zero).AddTicks(1_234_560),
        UtcOffsetMinutes = sphere ? (short)-330 : (short)120,
        Heading = 359.6,
        Pitch = sphere ? 1.5 : null,
        Roll = sphere ? -0.25 : null,
        Kind = sphere ? "equirectangular" : "flat",
        CameraMake = "GoPro",
        CameraModel = sphere ? "Max" : null,
        FocalLength = sphere ? null : 4.5,
        FieldOfView = sphere ? null : 69.6,
        Width = sphere ? 5760 : 4000,
        Height = sphere ? 2880 : 3000,
        GpsAccuracy = sphere ? 2.345 : null,
        HorizontalPixelDensity = sphere ? 16 : null,
        OriginalFileName = "IMG_0001 \"été\".jpg",
        OriginalFileSize = 3_000_000,
        Status = "ready",
        Visibility = "anyone",
        License = sphere ? null : "CC0-1.0",
        ExifJson = """{"Exif.Image.Make": "GoPro"}""",
        SemanticsJson = """[{"key": "osm|traffic_sign", "value": "yes"}]""",
        SequenceSemanticsJson = "[]",
        TileCols = sphere ? 8 : null,
        TileRows = sphere ? 4 : null,
        CreatedAt = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
        AccountId = Owner,
        AccountName = "alice & bob <b>",
        Prev = sphere ? null : new Neighbour(Guid.Parse("11111111-2222-4333-8444-555555555555"), Seq, 11.88, 43.467, new DateTimeOffset(2023, 5, 1, 10, 0, 0, TimeSpan.Zero)),
        Next = sphere ? null : new Neighbour(Guid.Parse("66666666-7777-4888-8999-aaaaaaaaaaaa"), Seq, 11.8802, 43.4672, new DateTimeOffset(2023, 5, 1, 10, 0, 4, TimeSpan.Zero)),
    };

    private static readonly Neighbour[] Related =
        [new(Guid.Parse("bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"), Guid.Parse("cccccccc-dddd-4eee-8fff-000000000000"), 11.8801, 43.46711, new DateTimeOffset(2024, 6, 2, 12, 0, 0, 500, TimeSpan.Zero))];

    private static string Written(ItemRow row, IReadOnlyList<Neighbour>? related)
    {
        var links = new LinkBuilder(new HttpContextAccessor(), Options.Create(new PanoramaxOptions { PublicUrl = new Uri("https://panoramax.example.org/") }));
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = ApiJson.Options.Encoder }))
        {
            StacItemJson.Write(w, row, links, "CC-BY-SA-4.0", related);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // The expected texts were produced by the earlier writer (strings and format strings); the streamed one must
    // give the very same bytes, whatever it does to be cheaper.
    [Theory]
    [InlineData(false, FlatExpected)]
    [InlineData(true, SphereExpected)]
    public void Item_json_is_byte_identical_to_the_reference(bool sphere, string expected)
    {
        var actual = Written(Row(sphere), sphere ? null : Related);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("2023-05-01T10:00:02.123456+00:00", 0)]
    [InlineData("2023-05-01T10:00:02+00:00", 0)]
    [InlineData("0987-01-09T23:59:59.000001-05:30", -330)]
    [InlineData("2026-12-31T00:00:00+14:00", 840)]
    public void Utf8_timestamps_match_the_string_ones(string text, int offsetMinutes)
    {
        var t = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Span<byte> buffer = stackalloc byte[StacTime.MaxUtf8Length];

        var utc = Encoding.UTF8.GetString(buffer[..StacTime.Utf8(t, null, buffer)]);
        var local = Encoding.UTF8.GetString(buffer[..StacTime.Utf8(t, TimeSpan.FromMinutes(offsetMinutes), buffer)]);

        Assert.Equal(StacTime.Utc(t), utc);
        Assert.Equal(StacTime.InOffset(t, TimeSpan.FromMinutes(offsetMinutes)), local);
        Assert.Equal(text, local);
    }

    private const string FlatExpected = """
        {"type":"Feature","stac_version":"1.0.0","stac_extensions":["https://stac-extensions.github.io/view/v1.0.0/schema.json","https://stac-extensions.github.io/perspective-imagery/v1.0.0/schema.json"],"id":"0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60","collection":"5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01","geometry":{"type":"Point","coordinates":[11.880123456789,43.4671]},"bbox":[11.880123456789,43.4671,11.880123456789,43.4671],"properties":{"datetime":"2023-05-01T10:00:02.123456+00:00","datetimetz":"2023-05-01T12:00:02.123456+02:00","created":"2025-01-01T00:00:00+00:00","updated":"2025-01-02T01:04:05+00:00","license":"CC0-1.0","view:azimuth":0,"pers:interior_orientation":{"camera_manufacturer":"GoPro","focal_length":4.5,"field_of_view":70,"sensor_array_dimensions":[4000,3000]},"geovisio:status":"ready","geovisio:visibility":"anyone","geovisio:producer":"alice & bob <b>","geovisio:rank_in_collection":7,"geovisio:image":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/hd.jpg","geovisio:thumbnail":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/thumb.jpg","original_file:name":"IMG_0001 \"été\".jpg","original_file:size":3000000,"exif":{"Exif.Image.Make": "GoPro"},"semantics":[{"key": "osm|traffic_sign", "value": "yes"}],"annotations":[],"collection":{"semantics":[]},"providers":[{"name":"alice & bob <b>","roles":["producer"],"id":"a1b2c3d4-e5f6-4789-abcd-ef0123456789"}]},"assets":{"hd":{"title":"Highest resolution picture","description":"Highest resolution picture","roles":["data"],"type":"image/jpeg","href":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/hd.jpg"},"sd":{"title":"High resolution picture","description":"High resolution picture","roles":["visual"],"type":"image/jpeg","href":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/sd.jpg"},"thumb":{"title":"Picture thumbnail","description":"Picture thumbnail","roles":["thumbnail"],"type":"image/jpeg","href":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/thumb.jpg"}},"links":[{"rel":"root","href":"https://panoramax.example.org/api","type":"application/json","title":"Instance catalog"},{"rel":"parent","href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01","type":"application/json","title":"Sequence"},{"rel":"collection","href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01","type":"application/json","title":"Sequence"},{"rel":"self","href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01/items/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60","type":"application/geo+json"},{"rel":"license","href":"https://spdx.org/licenses/CC0-1.0.html","type":"text/html","title":"CC0-1.0"},{"rel":"prev","type":"application/geo+json","id":"11111111-2222-4333-8444-555555555555","geometry":{"type":"Point","coordinates":[11.88,43.467]},"href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01/items/11111111-2222-4333-8444-555555555555"},{"rel":"next","type":"application/geo+json","id":"66666666-7777-4888-8999-aaaaaaaaaaaa","geometry":{"type":"Point","coordinates":[11.8802,43.4672]},"href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01/items/66666666-7777-4888-8999-aaaaaaaaaaaa"},{"rel":"related","type":"application/geo+json","id":"bbbbbbbb-cccc-4ddd-8eee-ffffffffffff","geometry":{"type":"Point","coordinates":[11.8801,43.46711]},"href":"https://panoramax.example.org/api/collections/cccccccc-dddd-4eee-8fff-000000000000/items/bbbbbbbb-cccc-4ddd-8eee-ffffffffffff","datetime":"2024-06-02T12:00:00.500000+00:00"}]}
        """;
    private const string SphereExpected = """
        {"type":"Feature","stac_version":"1.0.0","stac_extensions":["https://stac-extensions.github.io/view/v1.0.0/schema.json","https://stac-extensions.github.io/perspective-imagery/v1.0.0/schema.json","https://stac-extensions.github.io/tiled-assets/v1.0.0/schema.json"],"id":"0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60","collection":"5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01","geometry":{"type":"Point","coordinates":[11.880123456789,43.4671]},"bbox":[11.880123456789,43.4671,11.880123456789,43.4671],"properties":{"datetime":"2023-05-01T10:00:02.123456+00:00","datetimetz":"2023-05-01T04:30:02.123456-05:30","created":"2025-01-01T00:00:00+00:00","updated":"2025-01-02T01:04:05+00:00","license":"CC-BY-SA-4.0","view:azimuth":0,"pers:pitch":1.5,"pers:roll":-0.25,"pers:interior_orientation":{"camera_manufacturer":"GoPro","camera_model":"Max","field_of_view":360,"sensor_array_dimensions":[5760,2880]},"geovisio:status":"ready","geovisio:visibility":"anyone","geovisio:producer":"alice & bob <b>","geovisio:rank_in_collection":7,"geovisio:image":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/hd.jpg","geovisio:thumbnail":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/thumb.jpg","original_file:name":"IMG_0001 \"été\".jpg","original_file:size":3000000,"panoramax:horizontal_pixel_density":16,"quality:horizontal_accuracy":2.3,"exif":{"Exif.Image.Make": "GoPro"},"semantics":[{"key": "osm|traffic_sign", "value": "yes"}],"annotations":[],"collection":{"semantics":[]},"providers":[{"name":"alice & bob <b>","roles":["producer"],"id":"a1b2c3d4-e5f6-4789-abcd-ef0123456789"}],"tiles:tile_matrix_sets":{"geovisio":{"type":"TileMatrixSetType","title":"GeoVisio tile matrix for picture 0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60","identifier":"geovisio-0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60","tileMatrix":[{"type":"TileMatrixType","identifier":"0","scaleDenominator":1,"topLeftCorner":[0,0],"tileWidth":720,"tileHeight":720,"matrixWidth":8,"matrixHeight":4}]}}},"assets":{"hd":{"title":"Highest resolution picture","description":"Highest resolution picture","roles":["data"],"type":"image/jpeg","href":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/hd.jpg"},"sd":{"title":"High resolution picture","description":"High resolution picture","roles":["visual"],"type":"image/jpeg","href":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/sd.jpg"},"thumb":{"title":"Picture thumbnail","description":"Picture thumbnail","roles":["thumbnail"],"type":"image/jpeg","href":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/thumb.jpg"}},"asset_templates":{"tiles":{"title":"HD tiled picture","href":"https://panoramax.example.org/api/pictures/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60/tiled/{TileCol}_{TileRow}.jpg","roles":["data"],"type":"image/jpeg"}},"links":[{"rel":"root","href":"https://panoramax.example.org/api","type":"application/json","title":"Instance catalog"},{"rel":"parent","href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01","type":"application/json","title":"Sequence"},{"rel":"collection","href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01","type":"application/json","title":"Sequence"},{"rel":"self","href":"https://panoramax.example.org/api/collections/5f0c2a56-8d6b-4c0e-9a55-0a4a8f1d2e01/items/0b7d1a3e-91e4-4c5b-8e8a-2f1d3c4b5a60","type":"application/geo+json"},{"rel":"license","href":"https://spdx.org/licenses/CC-BY-SA-4.0.html","type":"text/html","title":"CC-BY-SA-4.0"}]}
        """;
}
