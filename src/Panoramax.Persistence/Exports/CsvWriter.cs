using System.Globalization;
using System.Text;

namespace Panoramax.Persistence.Exports;

/// <summary>
/// RFC 4180 lines: fields separated by commas, CRLF line ends, a field holding a comma, a quote or a line break
/// is quoted with its quotes doubled. Text typed by users (titles) also goes through <see cref="Text"/>, which
/// neutralises cells a spreadsheet would run as a formula (leading <c>= + - @</c>, tab or CR, as OWASP advises)
/// by prefixing a single quote: a title is data, and opening an export must never compute anything. Values we
/// produce ourselves (numbers, dates, ids) go through <see cref="Value"/> untouched, so <c>-4.5</c> stays a number.
/// One line is built in memory at a time and written with one asynchronous call (HTTP bodies refuse synchronous writes).
/// </summary>
public sealed class CsvWriter(TextWriter output)
{
    private readonly StringBuilder _line = new(256);
    private bool _first = true;

    /// <summary>A field typed by a user: quoted when needed, formula-looking content prefixed with <c>'</c>.</summary>
    public CsvWriter Text(string? value)
    {
        if (!string.IsNullOrEmpty(value) && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return Value(value);
    }

    /// <summary>A field we produced (id, date, status word): quoted when needed, otherwise as is.</summary>
    public CsvWriter Value(string? value)
    {
        if (!_first)
        {
            _line.Append(',');
        }
        _first = false;
        if (string.IsNullOrEmpty(value))
        {
            return this;
        }
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            _line.Append(value);
            return this;
        }
        _line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        return this;
    }

    /// <summary>A number in invariant culture (shortest round-trip form); empty when null.</summary>
    public CsvWriter Number(double? value) => Value(value?.ToString("R", CultureInfo.InvariantCulture));

    public CsvWriter Number(long? value) => Value(value?.ToString(CultureInfo.InvariantCulture));

    /// <summary>An instant in UTC, ISO 8601 (<c>2026-12-06T20:45:00+00:00</c>, fractions only when present); empty when null.</summary>
    public CsvWriter Time(DateTimeOffset? value) =>
        Value(value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'+00:00'", CultureInfo.InvariantCulture));

    /// <summary>Ends the line (CRLF) and writes it out.</summary>
    public async Task EndLineAsync(CancellationToken ct)
    {
        _line.Append("\r\n");
        await output.WriteAsync(_line, ct);
        _line.Clear();
        _first = true;
    }
}
