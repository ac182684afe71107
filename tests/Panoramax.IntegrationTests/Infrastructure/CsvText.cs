using System.Text;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>A strict RFC 4180 reader for assertions: quoted fields, doubled quotes, CRLF records; anything else fails the test.</summary>
public static class CsvText
{
    public static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    Assert.True(i < text.Length, "unterminated quoted field");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
            }
            while (i < text.Length && text[i] is not (',' or '\r'))
            {
                Assert.True(text[i] is not ('"' or '\n'), $"bare quote or line feed at {i}");
                field.Append(text[i++]);
            }
            fields.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == ',')
            {
                i++;
                continue;
            }
            Assert.True(i + 1 < text.Length && text[i + 1] == '\n', $"records must end with CRLF (at {i})");
            i += 2;
            records.Add([.. fields]);
            fields.Clear();
        }
        return records;
    }
}
