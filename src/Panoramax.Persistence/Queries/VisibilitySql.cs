using Npgsql;
using Panoramax.Domain.Visibility;

namespace Panoramax.Persistence.Queries;

/// <summary>
/// SQL translation of <see cref="VisibilityPolicy"/> for hand-written queries (search, tiles, lists, files):
/// the same rule, expressed once. Adds its parameters (<c>@viewer_id</c>, <c>@viewer_logged</c>) to the command.
/// </summary>
public static class VisibilitySql
{
    /// <summary>
    /// Predicate on a table alias having <c>visibility</c>, <c>account_id</c>, <c>status</c> and <c>deleted_at</c>
    /// (pictures or sequences). With <paramref name="publishedOnly"/> (the default) only ready, non-deleted rows pass,
    /// except that owners and admins also see their unpublished rows when it is false.
    /// </summary>
    public static string Predicate(string alias, Viewer viewer, NpgsqlParameterCollection parameters, bool publishedOnly = true)
    {
        AddParameters(viewer, parameters);
        var a = alias;
        var visible = viewer.IsAdmin
            ? "TRUE"
            : $"({a}.visibility = 'anyone' OR ({a}.visibility = 'logged-only' AND @viewer_logged) OR {a}.account_id = @viewer_id)";
        var live = $"{a}.deleted_at IS NULL";
        if (publishedOnly)
        {
            return $"({visible} AND {live} AND {a}.status = 'ready')";
        }
        var owner = viewer.IsAdmin ? "TRUE" : $"{a}.account_id = @viewer_id";
        return $"({visible} AND {live} AND ({a}.status = 'ready' OR {owner}))";
    }

    /// <summary>Only what may leave the instance: public, ready, not deleted (federation, public caches).</summary>
    public static string Public(string alias) =>
        $"({alias}.visibility = 'anyone' AND {alias}.deleted_at IS NULL AND {alias}.status = 'ready')";

    private static void AddParameters(Viewer viewer, NpgsqlParameterCollection parameters)
    {
        if (!parameters.Contains("viewer_id"))
        {
            parameters.Add(new NpgsqlParameter("viewer_id", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)viewer.AccountId ?? DBNull.Value });
            parameters.Add(new NpgsqlParameter("viewer_logged", viewer.IsLoggedIn));
        }
    }
}
