using System.Globalization;
using Npgsql;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence.Queries;

namespace Panoramax.Persistence.Exports;

/// <summary>
/// A user's sequences as CSV, one line per sequence the viewer may see, in GeoVisio's columns (the
/// <c>/api/users/{id}/collection?format=csv</c> answer, and <c>sequences.csv</c> in an account export). Owners also
/// get a last <c>visibility</c> column. Rows are read in keyset pages, so a user with any number of sequences is
/// written with bounded memory.
/// </summary>
public static class SequenceCsv
{
    public const string ContentType = "text/csv; charset=utf-8";

    /// <summary>GeoVisio's header, in its order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "id", "status", "name", "created", "updated", "capture_date", "minimum_capture_time", "maximum_capture_time",
        "min_x", "min_y", "max_x", "max_y", "nb_pictures", "length_km", "computed_h_pixel_density", "computed_gps_accuracy",
    ];

    private const int PageSize = 1000;

    /// <summary>Writes the header and every matching sequence in <paramref name="sort"/> order (which must end with a unique key).</summary>
    /// <returns>How many sequences were written.</returns>
    public static async Task<int> WriteAsync(
        TextWriter output, NpgsqlDataSource db, Viewer viewer, CollectionFilter filter, IReadOnlyList<CollectionSort> sort, bool withVisibility, CancellationToken ct)
    {
        var csv = new CsvWriter(output);
        foreach (var c in Columns)
        {
            csv.Value(c);
        }
        if (withVisibility)
        {
            csv.Value("visibility");
        }
        await csv.EndLineAsync(ct);
        var count = 0;
        Keyset? keyset = null;
        while (true)
        {
            // A parameter belongs to one command: every page gets its own copies of the filter's.
            var page = filter with { ExtraParameters = [.. filter.ExtraParameters.Select(p => p.Clone())] };
            var rows = await CollectionQuery.ReadAsync(db, viewer, page, sort, keyset, PageSize, ct);
            foreach (var r in rows)
            {
                csv.Value(r.Id.ToString())
                    .Value(r.Status)
                    .Text(r.Title)
                    .Time(r.CreatedAt)
                    .Time(r.UpdatedAt)
                    .Value(r.MinCapturedAt?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                    .Time(r.MinCapturedAt)
                    .Time(r.MaxCapturedAt)
                    .Number(r.Bbox?.MinX).Number(r.Bbox?.MinY).Number(r.Bbox?.MaxX).Number(r.Bbox?.MaxY)
                    .Number(r.PictureCount)
                    .Number(Math.Round(r.LengthKm, 3))
                    .Number(r.HorizontalPixelDensity)
                    .Number(r.GpsAccuracy is { } acc ? Math.Round(acc, 2) : null);
                if (withVisibility)
                {
                    csv.Value(r.Visibility);
                }
                await csv.EndLineAsync(ct);
            }
            count += rows.Count;
            // Pushes this page out (HTTP answers start flowing before the last page is read).
            await output.FlushAsync(ct);
            if (rows.Count < PageSize)
            {
                return count;
            }
            keyset = new Keyset(CollectionQuery.SortValues(rows[^1], sort), Before: false);
        }
    }
}
