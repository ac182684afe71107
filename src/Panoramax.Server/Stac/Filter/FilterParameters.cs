using Npgsql;
using Panoramax.Server.Http;

namespace Panoramax.Server.Stac.Filter;

/// <summary>Collects the parameters of CQL2 and extra predicates before the command exists.</summary>
internal sealed class FilterParameters
{
    // A batch command is a parameter collection that owns nothing disposable.
    private readonly NpgsqlBatchCommand _scratch = new();

    public void Add(NpgsqlParameter p) => _scratch.Parameters.Add(p);

    public string Translate(Cql2Sql translator, Cql2Node node)
    {
        try
        {
            var sql = translator.Translate(node, _scratch.Parameters);
            return sql;
        }
        catch (Cql2Exception e)
        {
            throw ApiException.BadRequest($"Invalid filter: {e.Message}");
        }
    }

    /// <summary>Detaches the parameters so another command can own them.</summary>
    public IReadOnlyList<NpgsqlParameter> Detach()
    {
        var list = _scratch.Parameters.ToList();
        _scratch.Parameters.Clear();
        return list;
    }
}
