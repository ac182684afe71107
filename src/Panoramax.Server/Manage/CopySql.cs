namespace Panoramax.Server.Manage;

/// <summary>
/// SQL fragments telling this instance's records from copies of other instances' (replicated from a peer or harvested
/// from a legacy source): copies change only at their origin, and what moderators do to them here stays here.
/// </summary>
internal static class CopySql
{
    /// <summary>True for a row of <paramref name="alias"/> that comes from another instance.</summary>
    public static string IsCopy(string alias) => $"{alias}.origin_instance_id <> (SELECT id FROM instances WHERE is_self)";

    /// <summary>The origin's name (or id) for a copy, null for a record of this instance.</summary>
    public static string OriginNameOfCopy(string alias) => $"""
        (SELECT coalesce(nullif(o.name, ''), o.id::text) FROM instances o WHERE o.id = {alias}.origin_instance_id AND NOT o.is_self)
        """;
}
