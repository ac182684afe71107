namespace Panoramax.Domain.Visibility;

/// <summary>
/// Who is asking: anonymous, a logged-in account, or an admin. Every read route passes one to the
/// visibility policy; nothing else decides what a caller may see.
/// </summary>
public sealed record Viewer(Guid? AccountId, bool IsAdmin)
{
    public static readonly Viewer Anonymous = new(null, false);

    public bool IsLoggedIn => AccountId is not null;

    public static Viewer Account(Guid id, bool isAdmin = false) => new(id, isAdmin);
}

/// <summary>The one visibility rule of the instance (GeoVisio's semantics).</summary>
public static class VisibilityPolicy
{
    /// <summary>Whether <paramref name="viewer"/> may see a record with this visibility owned by <paramref name="ownerId"/>.</summary>
    public static bool CanSee(Viewer viewer, Visibility visibility, Guid ownerId) =>
        viewer.IsAdmin
        || viewer.AccountId == ownerId
        || visibility == Visibility.Anyone
        || (visibility == Visibility.LoggedOnly && viewer.IsLoggedIn);

    /// <summary>Owners and admins also see records that are not published yet (processing, broken, hidden).</summary>
    public static bool CanSeeUnpublished(Viewer viewer, Guid ownerId) => viewer.IsAdmin || viewer.AccountId == ownerId;

    /// <summary>Only the owner or an admin may modify or delete.</summary>
    public static bool CanModify(Viewer viewer, Guid ownerId) => viewer.IsAdmin || viewer.AccountId == ownerId;
}
