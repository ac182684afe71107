namespace Panoramax.Cli;

/// <summary>
/// What the command line runs with: where it writes, whether a person watches a terminal (progress bar) or a script
/// reads the output (plain lines), where the configuration lives and how environment variables are read. Tests and the
/// benchmark run the CLI in-process with their own environment.
/// </summary>
public sealed class CliEnvironment
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>True when the output is a terminal: a live progress bar instead of one line per file.</summary>
    public bool Interactive { get; init; }

    /// <summary>Folder of <c>config.json</c> (the tokens).</summary>
    public required string ConfigDirectory { get; init; }

    public Func<string, string?> Variable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>How often <c>login</c> asks whether the token was claimed.</summary>
    public TimeSpan LoginPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long <c>login</c> waits for the claim.</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Whether Ctrl-C / SIGTERM cancel the command (the real process), rather than the caller's token only.</summary>
    public bool HandleSignals { get; init; }

    public static CliEnvironment FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        Interactive = !Console.IsOutputRedirected,
        ConfigDirectory = DefaultConfigDirectory(Environment.GetEnvironmentVariable),
        HandleSignals = true,
    };

    /// <summary>XDG base directories: <c>$XDG_CONFIG_HOME/panoramax-cli</c>, else <c>~/.config/panoramax-cli</c>.</summary>
    public static string DefaultConfigDirectory(Func<string, string?> variable)
    {
        var xdg = variable("XDG_CONFIG_HOME");
        var root = xdg is { Length: > 0 } && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(variable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(root, "panoramax-cli");
    }
}

/// <summary>A failure explained to the user (no stack trace), with the process exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Exit codes: scripts can tell "some files failed" from "nothing could be done".</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Some files were rejected or could not be sent or downloaded; the others went through.</summary>
    public const int SomeFailed = 1;

    /// <summary>Bad arguments, no instance, not logged in, instance unreachable.</summary>
    public const int Usage = 2;

    public const int Cancelled = 130;
}
