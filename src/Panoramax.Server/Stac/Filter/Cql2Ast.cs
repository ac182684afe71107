namespace Panoramax.Server.Stac.Filter;

/// <summary>Parsed CQL2-text (the subset Panoramax clients send): boolean logic over property predicates.</summary>
public abstract record Cql2Node;

public sealed record Cql2And(IReadOnlyList<Cql2Node> Terms) : Cql2Node;

public sealed record Cql2Or(IReadOnlyList<Cql2Node> Terms) : Cql2Node;

public sealed record Cql2Not(Cql2Node Term) : Cql2Node;

/// <summary><c>property op value</c> with op one of = &lt;&gt; &lt; &gt; &lt;= &gt;= LIKE.</summary>
public sealed record Cql2Compare(string Property, string Op, Cql2Literal Value) : Cql2Node;

public sealed record Cql2In(string Property, IReadOnlyList<Cql2Literal> Values, bool Negated) : Cql2Node;

public sealed record Cql2Between(string Property, Cql2Literal Low, Cql2Literal High, bool Negated) : Cql2Node;

public sealed record Cql2IsNull(string Property, bool Negated) : Cql2Node;

/// <summary>A literal: string, number, boolean, or a TIMESTAMP()/DATE() value (kept as text, typed by the property).</summary>
public sealed record Cql2Literal(object Value)
{
    public override string ToString() => Value switch
    {
        string s => $"'{s.Replace("'", "''", StringComparison.Ordinal)}'",
        bool b => b ? "TRUE" : "FALSE",
        double d => d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? "",
    };
}

/// <summary>A filter the client wrote wrong; the message says where and what was expected.</summary>
public sealed class Cql2Exception(string message) : Exception(message);
