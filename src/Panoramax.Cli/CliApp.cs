using System.CommandLine;
using Panoramax.Cli.Commands;

namespace Panoramax.Cli;

/// <summary>
/// <c>panoramax-cli</c>: <c>login</c>, <c>upload</c>, <c>status</c>, <c>download</c>. The instance and the token can be
/// given to every command (<c>--instance</c>, <c>--token</c>), else come from <c>PANORAMAX_INSTANCE</c> /
/// <c>PANORAMAX_TOKEN</c>, else from what <c>login</c> stored.
/// </summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken ct)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("Upload geotagged pictures to a Panoramax instance, follow their processing, download sequences.");
        root.Options.Add(globals.Instance);
        root.Options.Add(globals.Token);
        root.Subcommands.Add(LoginCommand.Create(globals, env));
        root.Subcommands.Add(UploadCommand.Create(globals, env));
        root.Subcommands.Add(StatusCommand.Create(globals, env));
        root.Subcommands.Add(DownloadCommand.Create(globals, env));
        var invocation = new InvocationConfiguration
        {
            Output = env.Out,
            Error = env.Error,
            ProcessTerminationTimeout = env.HandleSignals ? TimeSpan.FromSeconds(5) : null,
        };
        return await root.Parse(args).InvokeAsync(invocation, ct);
    }
}

/// <summary>Options every command takes, and how they resolve to an instance and a token.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Instance { get; } = new("--instance", "-i")
    {
        Description = "Base URL of the Panoramax instance (default: $PANORAMAX_INSTANCE, else the last one logged in to)",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "API token to use (default: $PANORAMAX_TOKEN, else the one stored by login for the instance)",
        Recursive = true,
    };

    /// <summary>How many files a command moves at once (<c>--parallel</c>, <c>-p</c>): 1 to 32, default 4.</summary>
    public static Option<int> Parallel(string description)
    {
        var parallel = new Option<int>("--parallel", "-p") { Description = description, DefaultValueFactory = _ => 4 };
        parallel.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 32)
            {
                r.AddError("--parallel must be between 1 and 32");
            }
        });
        return parallel;
    }

    public Uri ResolveInstance(ParseResult parse, CliEnvironment env)
    {
        var text = parse.GetValue(Instance) ?? env.Variable("PANORAMAX_INSTANCE") ?? new ConfigStore(env.ConfigDirectory).Load().DefaultInstance;
        return text is { Length: > 0 }
            ? InstanceUrl.Normalize(text)
            : throw new CliException("No instance: give --instance https://panoramax.example.org (login remembers it)");
    }

    public string? ResolveToken(ParseResult parse, CliEnvironment env, Uri instance)
    {
        if ((parse.GetValue(Token) ?? env.Variable("PANORAMAX_TOKEN")) is { Length: > 0 } given)
        {
            return given;
        }
        return new ConfigStore(env.ConfigDirectory).Load().Instances.GetValueOrDefault(InstanceUrl.Key(instance))?.Token;
    }

    /// <summary>Runs a command body: explained failures become a message and an exit code, never a stack trace.</summary>
    public static async Task<int> GuardAsync(CliEnvironment env, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            await env.Error.WriteLineAsync($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (ApiErrorException e)
        {
            await env.Error.WriteLineAsync($"error: the instance answered {e.Status}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            await env.Error.WriteLineAsync("interrupted: run the same command again to continue where it stopped");
            return ExitCodes.Cancelled;
        }
    }
}
