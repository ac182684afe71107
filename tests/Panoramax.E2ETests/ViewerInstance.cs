using NetVips;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Pictures;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Map;

namespace Panoramax.E2ETests;

/// <summary>
/// A real instance with two published sequences a few hundred metres apart in Arezzo: a flat one (3 Nikon pictures
/// of the Arezzo sample walk, 2008) and a 360° one (the GoPro Max panorama, 2020, seeded twice 15 m apart so that the
/// sequence is a line the map can draw). Files are written where the filesystem blob store reads them
/// (<c>{DataDirectory}/storage/{StorageKeys…}</c>): HD = the original, SD and thumbnail made with libvips, and for
/// the panorama the 8×4 grid of 720 px tiles the viewer loads.
/// </summary>
public sealed class ViewerInstance : TestInstance
{
    public static readonly string[] FlatFiles = ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg"];

    public Guid FlatSequence { get; private set; }
    public Guid SphereSequence { get; private set; }
    public IReadOnlyList<Guid> FlatPictures { get; private set; } = [];
    public IReadOnlyList<Guid> SpherePictures { get; private set; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (FlatSequence, FlatPictures, SphereSequence, SpherePictures) = await SeedArezzoAsync(this);
    }

    /// <summary>Seeds the flat and the 360° sequence with their files in the instance's storage folder; returns their ids.</summary>
    internal static async Task<(Guid FlatSequence, Guid[] FlatPictures, Guid SphereSequence, Guid[] SpherePictures)> SeedArezzoAsync(TestInstance instance)
    {
        var owner = await MapSeed.AdminAsync(instance);

        MapPicture[] flat =
        [
            new(11.885127, 43.467448, new DateTimeOffset(2008, 10, 22, 14, 28, 39, TimeSpan.Zero), 120, 640, 480),
            new(11.885395, 43.467157, new DateTimeOffset(2008, 10, 22, 14, 29, 49, TimeSpan.Zero), 250, 640, 480),
            new(11.884538, 43.467082, new DateTimeOffset(2008, 10, 22, 14, 38, 20, TimeSpan.Zero), 280, 640, 480),
        ];
        var flatSeq = await MapSeed.SequenceAsync(instance, owner, flat, PictureKind.Flat, "NIKON", "COOLPIX P6000", gpsAccuracy: 4, pixelDensity: 12,
            configure: (p, i) => WriteFiles(instance, p, TestPaths.SharedData("a-exif-samples-arezzo", FlatFiles[i]), tiles: false));

        MapPicture[] sphere =
        [
            new(11.8862, 43.4670, new DateTimeOffset(2020, 5, 9, 12, 16, 30, TimeSpan.Zero), 0, 5760, 2880),
            new(11.8862, 43.46715, new DateTimeOffset(2020, 5, 9, 12, 16, 35, TimeSpan.Zero), 0, 5760, 2880),
        ];
        var sphereSeq = await MapSeed.SequenceAsync(instance, owner, sphere, PictureKind.Equirectangular, "GoPro", "Max", gpsAccuracy: 2, pixelDensity: 16,
            configure: (p, _) => WriteFiles(instance, p, TestPaths.SharedData("f-360-gopro-max", "GSAG2002.JPG"), tiles: true));

        await MapSeed.RefreshGridAsync(instance);
        return (flatSeq.Sequence.Id, [.. flatSeq.Pictures.Select(p => p.Id)], sphereSeq.Sequence.Id, [.. sphereSeq.Pictures.Select(p => p.Id)]);
    }

    /// <summary>Writes a seeded picture's files (HD, SD, thumbnail, and the 360° tiles when asked) into the instance's storage.</summary>
    internal static void WriteFiles(TestInstance instance, Picture picture, string source, bool tiles)
    {
        var id = picture.Id;
        picture.HdKey = StorageKeys.Hd(id);
        picture.SdKey = StorageKeys.Sd(id);
        picture.ThumbKey = StorageKeys.Thumb(id);
        File.Copy(source, StoragePath(instance, picture.HdKey));
        using (var sd = Image.Thumbnail(source, 2048))
        {
            sd.Jpegsave(StoragePath(instance, picture.SdKey), q: 80);
        }
        using (var thumb = Image.Thumbnail(source, 500, height: 300, crop: Enums.Interesting.Centre))
        {
            thumb.Jpegsave(StoragePath(instance, picture.ThumbKey), q: 75);
        }
        if (!tiles)
        {
            return;
        }
        const int cols = 8, rows = 4;
        picture.TilesPrefix = StorageKeys.TilesPrefix(id);
        picture.TileCols = cols;
        picture.TileRows = rows;
        using var full = Image.NewFromFile(source, access: Enums.Access.Random);
        var size = full.Width / cols;
        for (var c = 0; c < cols; c++)
        {
            for (var r = 0; r < rows; r++)
            {
                using var tile = full.Crop(c * size, r * size, size, size);
                tile.Jpegsave(StoragePath(instance, StorageKeys.Tile(id, c, r)), q: 80);
            }
        }
    }

    private static string StoragePath(TestInstance instance, string key)
    {
        var path = Path.Combine(instance.DataDirectory, "storage", key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
