using System.Globalization;
using System.Text;

namespace Panoramax.Server.Stac.Filter;

/// <summary>
/// Recursive-descent parser for the CQL2-text subset used by Panoramax clients (the viewer's tag overlays,
/// the meta-catalogue harvester, people filtering lists): AND/OR/NOT, parentheses, comparisons,
/// [NOT] IN, [NOT] BETWEEN, IS [NOT] NULL, LIKE, with string, number, boolean, TIMESTAMP('…') and DATE('…') literals.
/// Property names are plain identifiers or "double quoted" (for names such as "semantics.osm|traffic_sign").
/// </summary>
public sealed class Cql2Parser
{
    private const int MaxLength = 4000;
    private const int MaxDepth = 32;
    private readonly List<Token> _tokens;
    private int _pos;
    private int _depth;

    private Cql2Parser(List<Token> tokens) => _tokens = tokens;

    public static Cql2Node Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new Cql2Exception("The filter is empty");
        }
        if (text.Length > MaxLength)
        {
            throw new Cql2Exception($"The filter is too long (more than {MaxLength} characters)");
        }
        var parser = new Cql2Parser(Tokenize(text));
        var node = parser.ParseOr();
        if (parser.Peek.Kind != TokenKind.End)
        {
            throw new Cql2Exception($"Unexpected '{parser.Peek.Text}' at position {parser.Peek.Position + 1} of the filter");
        }
        return node;
    }

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private bool AcceptKeyword(string keyword)
    {
        if (Peek.Kind == TokenKind.Word && string.Equals(Peek.Text, keyword, StringComparison.OrdinalIgnoreCase))
        {
            _pos++;
            return true;
        }
        return false;
    }

    private void Expect(TokenKind kind, string what)
    {
        if (Peek.Kind != kind)
        {
            throw new Cql2Exception($"Expected {what} at position {Peek.Position + 1} of the filter, found '{Describe(Peek)}'");
        }
        _pos++;
    }

    private Cql2Node ParseOr()
    {
        var terms = new List<Cql2Node> { ParseAnd() };
        while (AcceptKeyword("OR"))
        {
            terms.Add(ParseAnd());
        }
        return terms.Count == 1 ? terms[0] : new Cql2Or(terms);
    }

    private Cql2Node ParseAnd()
    {
        var terms = new List<Cql2Node> { ParseNot() };
        while (AcceptKeyword("AND"))
        {
            terms.Add(ParseNot());
        }
        return terms.Count == 1 ? terms[0] : new Cql2And(terms);
    }

    private Cql2Node ParseNot()
    {
        if (AcceptKeyword("NOT"))
        {
            return new Cql2Not(ParseNot());
        }
        if (Peek.Kind == TokenKind.LParen)
        {
            if (++_depth > MaxDepth)
            {
                throw new Cql2Exception("The filter nests parentheses too deeply");
            }
            _pos++;
            var inner = ParseOr();
            Expect(TokenKind.RParen, "')'");
            _depth--;
            return inner;
        }
        return ParsePredicate();
    }

    private Cql2Node ParsePredicate()
    {
        var prop = Peek;
        if (prop.Kind is not (TokenKind.Word or TokenKind.QuotedName) || IsReserved(prop))
        {
            throw new Cql2Exception($"Expected a property name at position {prop.Position + 1} of the filter, found '{Describe(prop)}'");
        }
        _pos++;
        var name = prop.Text;

        if (AcceptKeyword("IS"))
        {
            var negated = AcceptKeyword("NOT");
            if (!AcceptKeyword("NULL"))
            {
                throw new Cql2Exception($"Expected NULL after IS{(negated ? " NOT" : "")} for property '{name}'");
            }
            return new Cql2IsNull(name, negated);
        }
        var not = AcceptKeyword("NOT");
        if (AcceptKeyword("IN"))
        {
            Expect(TokenKind.LParen, "'(' after IN");
            var values = new List<Cql2Literal> { ParseLiteral() };
            while (Peek.Kind == TokenKind.Comma)
            {
                _pos++;
                values.Add(ParseLiteral());
            }
            Expect(TokenKind.RParen, "')' closing the IN list");
            return new Cql2In(name, values, not);
        }
        if (AcceptKeyword("BETWEEN"))
        {
            var low = ParseLiteral();
            if (!AcceptKeyword("AND"))
            {
                throw new Cql2Exception($"Expected AND in BETWEEN for property '{name}'");
            }
            return new Cql2Between(name, low, ParseLiteral(), not);
        }
        if (AcceptKeyword("LIKE"))
        {
            var pattern = ParseLiteral();
            var like = new Cql2Compare(name, "LIKE", pattern);
            return not ? new Cql2Not(like) : like;
        }
        if (not)
        {
            throw new Cql2Exception($"Expected IN, BETWEEN or LIKE after NOT for property '{name}'");
        }
        if (Peek.Kind != TokenKind.Operator)
        {
            throw new Cql2Exception($"Expected a comparison operator after '{name}', found '{Describe(Peek)}'");
        }
        var op = Next().Text;
        return new Cql2Compare(name, op == "!=" ? "<>" : op, ParseLiteral());
    }

    private Cql2Literal ParseLiteral()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.String:
                _pos++;
                return new Cql2Literal(t.Text);
            case TokenKind.Number:
                _pos++;
                return new Cql2Literal(double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture));
            case TokenKind.Word when t.Text.Equals("TRUE", StringComparison.OrdinalIgnoreCase):
                _pos++;
                return new Cql2Literal(true);
            case TokenKind.Word when t.Text.Equals("FALSE", StringComparison.OrdinalIgnoreCase):
                _pos++;
                return new Cql2Literal(false);
            case TokenKind.Word when t.Text.Equals("TIMESTAMP", StringComparison.OrdinalIgnoreCase) || t.Text.Equals("DATE", StringComparison.OrdinalIgnoreCase):
                _pos++;
                Expect(TokenKind.LParen, $"'(' after {t.Text}");
                var inner = Peek;
                Expect(TokenKind.String, $"a quoted value in {t.Text}(…)");
                Expect(TokenKind.RParen, $"')' closing {t.Text}(…)");
                return new Cql2Literal(inner.Text);
            default:
                throw new Cql2Exception($"Expected a value at position {t.Position + 1} of the filter, found '{Describe(t)}'");
        }
    }

    private static bool IsReserved(Token t) =>
        t.Kind == TokenKind.Word && t.Text.ToUpperInvariant() is "AND" or "OR" or "NOT" or "IN" or "IS" or "NULL" or "BETWEEN" or "LIKE" or "TRUE" or "FALSE";

    private static string Describe(Token t) => t.Kind == TokenKind.End ? "end of filter" : t.Text;

    private enum TokenKind { Word, QuotedName, String, Number, Operator, LParen, RParen, Comma, End }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            var start = i;
            if (c is '(' or ')' or ',')
            {
                tokens.Add(new Token(c == '(' ? TokenKind.LParen : c == ')' ? TokenKind.RParen : TokenKind.Comma, c.ToString(), start));
                i++;
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        throw new Cql2Exception($"Unclosed {(c == '"' ? "double quote" : "quote")} starting at position {start + 1} of the filter");
                    }
                    if (s[i] == c)
                    {
                        // A doubled quote is an escaped quote.
                        if (i + 1 < s.Length && s[i + 1] == c)
                        {
                            sb.Append(c);
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    sb.Append(s[i++]);
                }
                tokens.Add(new Token(c == '"' ? TokenKind.QuotedName : TokenKind.String, sb.ToString(), start));
            }
            else if (c is '=' or '<' or '>' or '!')
            {
                var two = i + 1 < s.Length ? s.Substring(i, 2) : null;
                if (two is "<=" or ">=" or "<>" or "!=")
                {
                    tokens.Add(new Token(TokenKind.Operator, two, start));
                    i += 2;
                }
                else if (c == '!')
                {
                    throw new Cql2Exception($"Unexpected '!' at position {start + 1} of the filter");
                }
                else
                {
                    tokens.Add(new Token(TokenKind.Operator, c.ToString(), start));
                    i++;
                }
            }
            else if (char.IsAsciiDigit(c) || (c is '-' or '+' or '.' && i + 1 < s.Length && (char.IsAsciiDigit(s[i + 1]) || s[i + 1] == '.')))
            {
                i++;
                while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] is '.' or 'e' or 'E' || (s[i] is '-' or '+' && s[i - 1] is 'e' or 'E')))
                {
                    i++;
                }
                var text = s[start..i];
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    throw new Cql2Exception($"'{text}' at position {start + 1} of the filter is not a number");
                }
                tokens.Add(new Token(TokenKind.Number, text, start));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '.' or ':' or '|'))
                {
                    i++;
                }
                tokens.Add(new Token(TokenKind.Word, s[start..i], start));
            }
            else
            {
                throw new Cql2Exception($"Unexpected character '{c}' at position {start + 1} of the filter");
            }
        }
        tokens.Add(new Token(TokenKind.End, "", s.Length));
        return tokens;
    }
}
