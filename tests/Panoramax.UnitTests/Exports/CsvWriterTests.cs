using Panoramax.Persistence.Exports;

namespace Panoramax.UnitTests.Exports;

public class CsvWriterTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+33 6", "'+33 6")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"")]
    [InlineData("", "")]
    public async Task User_text_is_quoted_when_needed_and_never_a_formula(string input, string expected)
    {
        var text = new StringWriter();
        var csv = new CsvWriter(text);
        csv.Text(input);
        await csv.EndLineAsync(default);
        Assert.Equal(expected + "\r\n", text.ToString());
    }

    [Fact]
    public async Task Values_we_produce_keep_their_sign_and_fields_are_comma_separated()
    {
        var text = new StringWriter();
        var csv = new CsvWriter(text);
        csv.Number(-4.5).Number((long?)null).Number(12L).Time(new DateTimeOffset(2026, 12, 6, 21, 0, 0, TimeSpan.FromHours(1))).Value("ready");
        await csv.EndLineAsync(default);
        csv.Value("second");
        await csv.EndLineAsync(default);
        Assert.Equal("-4.5,,12,2026-12-06T20:00:00+00:00,ready\r\nsecond\r\n", text.ToString());
    }
}
