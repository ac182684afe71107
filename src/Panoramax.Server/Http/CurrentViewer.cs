using Panoramax.Domain.Visibility;

namespace Panoramax.Server.Http;

/// <summary>
/// The caller of the current request as the visibility policy sees it. The one place routes get it from,
/// so authentication (bearer tokens, session cookies) only has to fill this in.
/// </summary>
public sealed class CurrentViewer
{
    /// <summary>Anonymous until an authentication handler identifies the caller.</summary>
    public Viewer Viewer { get; set; } = Viewer.Anonymous;
}
