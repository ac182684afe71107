using System.Text;
using Panoramax.Cli;

namespace Panoramax.IntegrationTests.Cli;

/// <summary>What one run of the CLI printed and returned.</summary>
public sealed record CliResult(int Code, string Out, string Err)
{
    public int Count(string text) => CliRunner.Count(Out, text);

    public override string ToString() => $"exit {Code}\n--- out ---\n{Out}\n--- err ---\n{Err}";
}

/// <summary>Output the test can read while the CLI runs, and react to line by line (to interrupt it).</summary>
public sealed class CapturingWriter(Action<CapturingWriter, string>? onLine = null) : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_text)
        {
            _text.Append(value).Append('\n');
        }
        onLine?.Invoke(this, value ?? "");
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}

/// <summary>
/// Runs <c>panoramax-cli</c> in-process through its real entry point (<see cref="CliApp.RunAsync"/>), with its own
/// config folder and no environment variables, as a script would (no terminal: one line per file).
/// </summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(string configDir, string[] args, Func<string, bool>? interruptWhen = null,
        CapturingWriter? output = null, IReadOnlyDictionary<string, string>? variables = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        output ??= new CapturingWriter((w, line) =>
        {
            if (interruptWhen is not null && interruptWhen(w.Text))
            {
                // As Ctrl-C would: whatever is in flight is abandoned.
                _ = cts.CancelAsync();
            }
        });
        var error = new CapturingWriter();
        var env = new CliEnvironment
        {
            Out = output,
            Error = error,
            Interactive = false,
            ConfigDirectory = configDir,
            Variable = name => variables?.GetValueOrDefault(name),
            LoginPollInterval = TimeSpan.FromMilliseconds(100),
            LoginTimeout = TimeSpan.FromMinutes(1),
        };
        var code = await CliApp.RunAsync(args, env, cts.Token);
        return new CliResult(code, output.Text, error.Text);
    }

    public static int Count(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }
}
