using NetVips;

namespace Panoramax.Imaging;

/// <summary>
/// Whether libvips could be loaded, checked once. A server without it keeps working (uploads are still read and
/// queued) and says why derivatives are not made, instead of crashing on the first picture.
/// </summary>
public static class VipsRuntime
{
    private static readonly Lazy<(bool Ok, string? Error)> State = new(Probe);

    public static bool IsAvailable => State.Value.Ok;

    /// <summary>Why libvips is unavailable, for a log line; null when it is available.</summary>
    public static string? UnavailableReason => State.Value.Error;

    internal static void EnsureAvailable()
    {
        if (!IsAvailable)
        {
            throw new InvalidOperationException("libvips is not available: " + UnavailableReason);
        }
    }

    private static (bool, string?) Probe()
    {
        try
        {
            if (!ModuleInitializer.VipsInitialized)
            {
                return (false, ModuleInitializer.Exception?.Message ?? "libvips failed to initialise");
            }
            // Every picture is processed once: libvips' operation cache would only keep decoded pixels alive.
            Cache.Max = 0;
            Cache.MaxFiles = 0;
            Cache.MaxMem = 0;
            return (true, null);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return (false, e.Message);
        }
    }
}
