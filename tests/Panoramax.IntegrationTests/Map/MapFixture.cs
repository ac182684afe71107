using Panoramax.Domain.Pictures;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.Visibility;
using Panoramax.IntegrationTests.Infrastructure;

namespace Panoramax.IntegrationTests.Map;

/// <summary>
/// An instance with one of each case the map must tell apart, side by side near Arezzo (all in one 0.1° grid cell)
/// plus another account's public sequence in Paris. Lines shorter than a tile unit vanish from low-zoom tiles
/// (ST_AsMVTGeom drops degenerate lines), so the sequences checked at low zoom are a few hundred metres long.
/// </summary>
public sealed class MapFixture : TestInstance
{
    public const double Lon = 11.8805;
    public const double Lat = 43.4605;
    public static readonly DateTimeOffset Day = new(2024, 6, 1, 10, 0, 0, TimeSpan.Zero);

    public Guid Admin { get; private set; }
    public Guid OtherUser { get; private set; }
    public Guid PublicFlat { get; private set; }
    public Guid Public360 { get; private set; }
    public Guid OwnerOnly { get; private set; }
    public Guid LoggedOnly { get; private set; }
    public Guid NotReady { get; private set; }
    public Guid OtherUsersSequence { get; private set; }
    public IReadOnlyList<Picture> FlatPictures { get; private set; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Admin = await MapSeed.AdminAsync(this);
        OtherUser = await MapSeed.AccountAsync(this, "other");
        var flat = await MapSeed.SequenceAsync(this, Admin, MapSeed.Line(Lon, Lat, 3, Day, heading: 10, step: 0.002), PictureKind.Flat, "Canon", "EOS 5D", gpsAccuracy: 2.5, pixelDensity: 21);
        PublicFlat = flat.Sequence.Id;
        FlatPictures = flat.Pictures;
        Public360 = (await MapSeed.SequenceAsync(this, Admin, MapSeed.Line(Lon + 0.0005, Lat, 2, Day.AddYears(-1), heading: 90), PictureKind.Equirectangular, "GoPro", "Max")).Sequence.Id;
        OwnerOnly = (await MapSeed.SequenceAsync(this, Admin, MapSeed.Line(Lon + 0.001, Lat, 2, Day), visibility: Visibility.OwnerOnly)).Sequence.Id;
        LoggedOnly = (await MapSeed.SequenceAsync(this, Admin, MapSeed.Line(Lon + 0.0015, Lat, 2, Day), visibility: Visibility.LoggedOnly)).Sequence.Id;
        NotReady = (await MapSeed.SequenceAsync(this, Admin, MapSeed.Line(Lon + 0.002, Lat, 2, Day), status: SequenceStatus.Preparing)).Sequence.Id;
        OtherUsersSequence = (await MapSeed.SequenceAsync(this, OtherUser, MapSeed.Line(2.35, 48.85, 4, Day, step: 0.005))).Sequence.Id;
        await MapSeed.RefreshGridAsync(this);
    }
}
