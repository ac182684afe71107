using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Panoramax.Server.Stac.Filter;

public enum Cql2Type
{
    Timestamp,
    Text,
    Number,
}

/// <summary>A filterable property: its name in CQL2, the SQL expression it reads, and its type.</summary>
public sealed record Cql2Property(string Name, string Sql, Cql2Type Type, IReadOnlyList<string>? AllowedValues = null);

/// <summary>
/// Turns a parsed filter into a SQL predicate whose values are all bound parameters (no client text ever
/// reaches the SQL). Only the declared properties may be used; <c>semantics.&lt;key&gt;</c> and <c>semantics</c>
/// match tags stored as jsonb arrays of {key, value} in the given columns (picture tags, sequence tags…).
/// </summary>
public sealed class Cql2Sql(IReadOnlyList<Cql2Property> properties, IReadOnlyList<string> semanticsColumns)
{
    private readonly Dictionary<string, Cql2Property> _props = properties.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    private int _n;

    public IEnumerable<string> PropertyNames => _props.Keys.Concat(semanticsColumns.Count > 0 ? ["semantics", "semantics.<key>"] : []);

    public string Translate(Cql2Node node, NpgsqlParameterCollection parameters) => node switch
    {
        Cql2And and => "(" + string.Join(" AND ", and.Terms.Select(t => Translate(t, parameters))) + ")",
        Cql2Or or => "(" + string.Join(" OR ", or.Terms.Select(t => Translate(t, parameters))) + ")",
        Cql2Not not => $"(NOT {Translate(not.Term, parameters)})",
        _ when PropertyOf(node) is { } name && IsSemantics(name) => Semantics(node, name, parameters),
        Cql2Compare c => Compare(c, parameters),
        Cql2In i => $"({Prop(i.Property).Sql} {(i.Negated ? "NOT IN" : "IN")} ({string.Join(", ", i.Values.Select(v => Param(Prop(i.Property), v, parameters)))}))",
        Cql2Between b => $"({Prop(b.Property).Sql} {(b.Negated ? "NOT BETWEEN" : "BETWEEN")} {Param(Prop(b.Property), b.Low, parameters)} AND {Param(Prop(b.Property), b.High, parameters)})",
        Cql2IsNull n => $"({Prop(n.Property).Sql} IS {(n.Negated ? "NOT " : "")}NULL)",
        _ => throw new Cql2Exception("Unsupported filter expression"),
    };

    private string Compare(Cql2Compare c, NpgsqlParameterCollection parameters)
    {
        var prop = Prop(c.Property);
        if (c.Op == "LIKE")
        {
            if (prop.Type != Cql2Type.Text)
            {
                throw new Cql2Exception($"LIKE only applies to text properties, not '{prop.Name}'");
            }
            return $"({prop.Sql} LIKE {Param(prop, c.Value, parameters, allowPattern: true)})";
        }
        return $"({prop.Sql} {c.Op} {Param(prop, c.Value, parameters)})";
    }

    private Cql2Property Prop(string name) =>
        _props.TryGetValue(name, out var p)
            ? p
            : throw new Cql2Exception($"Unknown property '{name}' in filter; filterable properties are: {string.Join(", ", PropertyNames)}");

    private string Param(Cql2Property prop, Cql2Literal literal, NpgsqlParameterCollection parameters, bool allowPattern = false)
    {
        var name = $"cql{_n++}";
        object value = prop.Type switch
        {
            Cql2Type.Timestamp => literal.Value is string s && TryTimestamp(s, out var t)
                ? t
                : throw new Cql2Exception($"{literal} is not a date or date-time (ISO 8601) for property '{prop.Name}'"),
            Cql2Type.Number => literal.Value is double d ? d : throw new Cql2Exception($"{literal} is not a number for property '{prop.Name}'"),
            _ => literal.Value is string text
                ? (prop.AllowedValues is null || allowPattern || prop.AllowedValues.Contains(text, StringComparer.Ordinal)
                    ? text
                    : throw new Cql2Exception($"'{text}' is not a valid value for '{prop.Name}'; use one of: {string.Join(", ", prop.AllowedValues)}"))
                : throw new Cql2Exception($"{literal} must be a quoted text for property '{prop.Name}'"),
        };
        parameters.Add(new NpgsqlParameter(name, value));
        return "@" + name;
    }

    private static bool TryTimestamp(string s, out DateTimeOffset value)
    {
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            return true;
        }
        return false;
    }

    private bool IsSemantics(string name) =>
        semanticsColumns.Count > 0 && (name.Equals("semantics", StringComparison.OrdinalIgnoreCase) || name.StartsWith("semantics.", StringComparison.OrdinalIgnoreCase));

    private static string? PropertyOf(Cql2Node node) => node switch
    {
        Cql2Compare c => c.Property,
        Cql2In i => i.Property,
        Cql2Between b => b.Property,
        Cql2IsNull n => n.Property,
        _ => null,
    };

    /// <summary>Tag predicates: a tag (key, value) present on any of the tagged columns.</summary>
    private string Semantics(Cql2Node node, string name, NpgsqlParameterCollection parameters)
    {
        var key = name.Length > "semantics.".Length ? name["semantics.".Length..] : null;
        switch (node)
        {
            case Cql2IsNull n when key is null:
                return AnyColumn(c => $"jsonb_array_length({c}) > 0", negate: !n.Negated);
            case Cql2IsNull n:
                var k = AddText(key!, parameters);
                return AnyColumn(c => $"jsonb_path_exists({c}, '$[*] ? (@.key == $k)', jsonb_build_object('k', {k}::text))", negate: !n.Negated);
            case Cql2Compare { Op: "=" or "<>" } c when key is not null:
                var has = HasTag(key, c.Value, parameters);
                return c.Op == "=" ? has : $"(NOT {has})";
            case Cql2In i when key is not null:
                var any = "(" + string.Join(" OR ", i.Values.Select(v => HasTag(key, v, parameters))) + ")";
                return i.Negated ? $"(NOT {any})" : any;
            default:
                throw new Cql2Exception($"'{name}' only supports =, <>, IN and IS [NOT] NULL (as in \"semantics.osm|traffic_sign\" = 'yes')");
        }
    }

    private string HasTag(string key, Cql2Literal value, NpgsqlParameterCollection parameters)
    {
        if (value.Value is not string v)
        {
            throw new Cql2Exception($"Tag values must be quoted text (semantics.{key})");
        }
        var name = $"cql{_n++}";
        parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(new[] { new { key, value = v } }) });
        return AnyColumn(c => $"{c} @> @{name}", negate: false);
    }

    private string AddText(string text, NpgsqlParameterCollection parameters)
    {
        var name = $"cql{_n++}";
        parameters.Add(new NpgsqlParameter(name, text));
        return "@" + name;
    }

    private string AnyColumn(Func<string, string> predicate, bool negate)
    {
        var any = "(" + string.Join(" OR ", semanticsColumns.Select(predicate)) + ")";
        return negate ? $"(NOT {any})" : any;
    }
}
