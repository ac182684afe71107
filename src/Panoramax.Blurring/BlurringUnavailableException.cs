namespace Panoramax.Blurring;

/// <summary>
/// Blurring cannot run here (a model file is missing or unreadable). Distinct from a bad picture: the pipeline
/// keeps such pictures unpublished and retries later, instead of rejecting the upload.
/// </summary>
public sealed class BlurringUnavailableException : Exception
{
    public BlurringUnavailableException(string message) : base(message)
    {
    }

    public BlurringUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public BlurringUnavailableException()
    {
    }
}
