using Npgsql;
using Panoramax.Domain.Visibility;

namespace Panoramax.Persistence.Queries;

/// <summary>
/// SQL translation of <see cref="VisibilityPolicy"/> for hand-written queries (search, tiles, lists, files):
/// the same rule, expressed once. Adds its parameter (<c>@viewer_id</c>) to the command when needed.
/// </summary>
public static class VisibilitySql
{
    /// <summary>
    /// Predicate on a table alias having <c>visibility</c>, <c>account_id</c>, <c>status</c> and <c>deleted_at</c>
    /// (pictures or sequences). With <paramref name="publishedOnly"/> (the default) only ready, non-deleted rows pass,
    /// except that owners and admins also see their unpublished rows when it is false. Rows hidden by their origin's
    /// licence filter (<c>license_filtered</c>, kept by a trigger) are out for every viewer, admins included.
    /// </summary>
    public static string Predicate(string alias, Viewer viewer, NpgsqlParameterCollection parameters, bool publishedOnly = true)
    {
        var a = alias;
        // The SQL is specialised per kind of viewer: simpler plans, and never a NULL owner comparison.
        string visible, owner;
        if (viewer.IsAdmin)
        {
            (visible, owner) = ("TRUE", "TRUE");
        }
        else if (viewer.AccountId is { } id)
        {
            if (!parameters.Contains("viewer_id"))
            {
                parameters.Add(new NpgsqlParameter("viewer_id", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = id });
            }
            owner = $"{a}.account_id = @viewer_id";
            visible = $"({a}.visibility IN ('anyone', 'logged-only') OR {owner})";
        }
        else
        {
            (visible, owner) = ($"{a}.visibility = 'anyone'", "FALSE");
        }
        var live = $"{a}.deleted_at IS NULL AND NOT {a}.license_filtered";
        return publishedOnly
            ? $"({visible} AND {live} AND {a}.status = 'ready')"
            : $"({visible} AND {live} AND ({a}.status = 'ready' OR {owner}))";
    }

    /// <summary>Only what may leave the instance: public, ready, not deleted, not hidden by a licence filter (federation, public caches).</summary>
    public static string Public(string alias) =>
        $"({alias}.visibility = 'anyone' AND {alias}.deleted_at IS NULL AND NOT {alias}.license_filtered AND {alias}.status = 'ready')";
}
