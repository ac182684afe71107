using Panoramax.Domain.Visibility;

namespace Panoramax.Server.Http;

/// <summary>
/// Who makes the current request, for the visibility policy. The one place every read route takes its
/// <see cref="Panoramax.Domain.Visibility.Viewer"/> from; anonymous until login arrives (the auth issue fills it from the session).
/// </summary>
public sealed class CurrentViewer
{
    public Viewer Viewer { get; } = Viewer.Anonymous;
}
