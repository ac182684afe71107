using Panoramax.Domain.Visibility;

namespace Panoramax.Server.Http;

/// <summary>
/// Who is calling, for the visibility policy. The one place routes ask; anonymous until the auth issue
/// replaces this (scoped) service with one reading the authenticated account.
/// </summary>
public sealed class CurrentViewer
{
    public Viewer Viewer { get; } = Viewer.Anonymous;
}
