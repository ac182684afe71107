using Npgsql;
using Panoramax.Server.Stac;
using Panoramax.Server.Stac.Filter;

namespace Panoramax.UnitTests.Stac;

public class Cql2Tests
{
    private static string Sql(string filter, out NpgsqlParameterCollection parameters)
    {
        var batch = new NpgsqlBatchCommand();
        parameters = batch.Parameters;
        return new Cql2Sql(Queryables.Items, Queryables.ItemSemanticsColumns).Translate(Cql2Parser.Parse(filter), parameters);
    }

    [Fact]
    public void Precedence_is_not_then_and_then_or()
    {
        var node = Cql2Parser.Parse("type = 'flat' OR NOT type = 'equirectangular' AND created > '2024-01-01'");
        var or = Assert.IsType<Cql2Or>(node);
        Assert.IsType<Cql2Compare>(or.Terms[0]);
        var and = Assert.IsType<Cql2And>(or.Terms[1]);
        Assert.IsType<Cql2Not>(and.Terms[0]);
    }

    [Fact]
    public void Values_become_parameters_never_sql_text()
    {
        var sql = Sql("camera_model = 'x''; DROP TABLE pictures; --'", out var p);
        Assert.DoesNotContain("DROP", sql, StringComparison.Ordinal);
        Assert.Equal("x'; DROP TABLE pictures; --", Assert.Single(p).Value);
    }

    [Fact]
    public void Timestamps_are_typed_by_the_property()
    {
        Sql("updated >= TIMESTAMP('2024-05-01T10:00:00Z') AND created < '2024-06-01'", out var p);
        Assert.All(p, x => Assert.IsType<DateTimeOffset>(x.Value));
    }

    [Theory]
    [InlineData("\"semantics.osm|traffic_sign\" = 'yes'", "@>")]
    [InlineData("\"semantics.osm|traffic_sign\" IN ('yes', 'no')", " OR ")]
    [InlineData("\"semantics.osm|traffic_sign\" IS NOT NULL", "jsonb_path_exists")]
    [InlineData("\"semantics\" IS NOT NULL", "jsonb_array_length")]
    public void Tag_filters_look_at_picture_and_sequence_tags(string filter, string expected)
    {
        var sql = Sql(filter, out _);
        Assert.Contains(expected, sql, StringComparison.Ordinal);
        Assert.Contains("p.semantics", sql, StringComparison.Ordinal);
        Assert.Contains("s.semantics", sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("type =", "Expected a value")]
    [InlineData("type = 'flat' AND", "Expected a property name")]
    [InlineData("(type = 'flat'", "Expected ')'")]
    [InlineData("type = 'flat", "Unclosed quote")]
    [InlineData("type ~ 'flat'", "Unexpected character")]
    [InlineData("type IS 'flat'", "Expected NULL")]
    [InlineData("type = 'flat' type = 'x'", "Unexpected 'type'")]
    public void Syntax_errors_say_where(string filter, string message)
    {
        var e = Assert.Throws<Cql2Exception>(() => Cql2Parser.Parse(filter));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("title = 'x'", "Unknown property 'title'")]
    [InlineData("type = 'cube'", "not a valid value")]
    [InlineData("created > 'yesterday'", "not a date")]
    [InlineData("created > 3", "not a date")]
    [InlineData("\"semantics.k\" > 'v'", "only supports")]
    [InlineData("created LIKE '2024%'", "LIKE only applies")]
    public void Meaning_errors_name_the_property(string filter, string message)
    {
        var e = Assert.Throws<Cql2Exception>(() => Sql(filter, out _));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused_instead_of_overflowing_the_stack()
    {
        var filter = new string('(', 500) + "type = 'flat'" + new string(')', 500);
        Assert.Throws<Cql2Exception>(() => Cql2Parser.Parse(filter));
    }
}
