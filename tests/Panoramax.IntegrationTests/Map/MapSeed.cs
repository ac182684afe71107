using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NetTopologySuite.Geometries;
using Panoramax.Domain.Accounts;
using Panoramax.Domain.Pictures;
using Panoramax.Domain.Sequences;
using Panoramax.Domain.Visibility;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.Persistence.Queries;

namespace Panoramax.IntegrationTests.Map;

/// <summary>One picture to seed: where, when, which way.</summary>
public sealed record MapPicture(double Lon, double Lat, DateTimeOffset CapturedAt, double? Heading = null, int Width = 4000, int Height = 3000);

/// <summary>
/// Writes published (or deliberately unpublished) sequences straight into the database with their aggregates filled,
/// the way ingest will leave them, so map, search and viewer tests do not depend on the upload pipeline.
/// </summary>
public static class MapSeed
{
    private static readonly GeometryFactory Geo = new(new PrecisionModel(), 4326);

    public static async Task<Guid> AccountAsync(TestInstance instance, string name)
    {
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var self = await db.Instances.SingleAsync(i => i.IsSelf);
            var account = new Account { Id = Guid.CreateVersion7(), OriginInstanceId = self.Id, Name = name, CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch };
            db.Accounts.Add(account);
            await db.SaveChangesAsync();
            return account.Id;
        }
    }

    /// <summary>The first admin account made at start-up: a convenient owner for public data.</summary>
    public static async Task<Guid> AdminAsync(TestInstance instance)
    {
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            return await db.Accounts.Where(a => a.Role == AccountRole.Admin).Select(a => a.Id).FirstAsync();
        }
    }

    public static async Task<(Sequence Sequence, IReadOnlyList<Picture> Pictures)> SequenceAsync(
        TestInstance instance,
        Guid accountId,
        IReadOnlyList<MapPicture> pictures,
        PictureKind kind = PictureKind.Flat,
        string make = "Canon",
        string model = "EOS 5D",
        Visibility visibility = Visibility.Anyone,
        SequenceStatus status = SequenceStatus.Ready,
        double gpsAccuracy = 3,
        int pixelDensity = 20,
        Func<int, Guid>? pictureId = null,
        Action<Picture, int>? configure = null)
    {
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var self = await db.Instances.SingleAsync(i => i.IsSelf);
            var coords = pictures.Select(p => new Coordinate(p.Lon, p.Lat)).ToArray();
            var line = coords.Length >= 2 ? Geo.CreateLineString(coords) : null;
            var envelope = Geo.CreateMultiPointFromCoords(coords).Envelope;
            var sequence = new Sequence
            {
                Id = Guid.CreateVersion7(),
                OriginInstanceId = self.Id,
                AccountId = accountId,
                Title = $"seeded {kind}",
                Status = status,
                Visibility = visibility,
                Geometry = line,
                Bbox = envelope as Polygon ?? (Polygon)envelope.Buffer(0.00001).Envelope,
                MinCapturedAt = pictures.Min(p => p.CapturedAt),
                MaxCapturedAt = pictures.Max(p => p.CapturedAt),
                PictureCount = pictures.Count,
                Kind = kind,
                CameraModel = $"{make} {model}",
                GpsAccuracy = gpsAccuracy,
                HorizontalPixelDensity = pixelDensity,
                CreatedAt = DateTimeOffset.UnixEpoch,
                UpdatedAt = DateTimeOffset.UnixEpoch,
            };
            db.Sequences.Add(sequence);
            var rows = pictures.Select((p, i) => new Picture
            {
                Id = pictureId?.Invoke(i) ?? Guid.CreateVersion7(),
                OriginInstanceId = self.Id,
                AccountId = accountId,
                SequenceId = sequence.Id,
                Rank = i + 1,
                Location = Geo.CreatePoint(new Coordinate(p.Lon, p.Lat)),
                CapturedAt = p.CapturedAt,
                Heading = p.Heading,
                Kind = kind,
                CameraMake = make,
                CameraModel = model,
                Width = p.Width,
                Height = p.Height,
                GpsAccuracyM = gpsAccuracy,
                HorizontalPixelDensity = pixelDensity,
                ContentSha256 = Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray(),
                OriginalFileName = $"{i + 1}.jpg",
                Status = status == SequenceStatus.Ready ? PictureStatus.Ready : PictureStatus.WaitingForProcess,
                Visibility = visibility,
                Blurred = true,
                BlurSource = BlurSource.DeclaredByUploader,
                CreatedAt = DateTimeOffset.UnixEpoch,
                UpdatedAt = DateTimeOffset.UnixEpoch,
            }).ToList();
            for (var i = 0; i < rows.Count; i++)
            {
                configure?.Invoke(rows[i], i);
            }
            db.Pictures.AddRange(rows);
            await db.SaveChangesAsync();
            return (sequence, rows);
        }
    }

    /// <summary>What publication does after a change: rebuild the low-zoom grid.</summary>
    public static Task RefreshGridAsync(TestInstance instance) =>
        instance.Services.GetRequiredService<PictureGridRefresher>().RefreshAsync(CancellationToken.None);

    /// <summary>A straight line of <paramref name="count"/> pictures going north from a point, one every <paramref name="step"/> degrees (~11 m by default) and 2 s.</summary>
    public static IReadOnlyList<MapPicture> Line(double lon, double lat, int count, DateTimeOffset start, double heading = 0, double step = 0.0001) =>
        Enumerable.Range(0, count).Select(i => new MapPicture(lon, lat + i * step, start.AddSeconds(2 * i), heading)).ToList();
}
