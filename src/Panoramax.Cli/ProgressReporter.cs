using Spectre.Console;

namespace Panoramax.Cli;

/// <summary>
/// Progress of a long command. On a terminal: a live bar (bytes done, speed, time left) with the per-file lines
/// printed above it. Otherwise (a script, a log file, tests): the same lines, plainly, one per file. Safe to call from
/// parallel workers.
/// </summary>
public sealed class ProgressReporter
{
    private readonly object _lock = new();
    private readonly CliEnvironment _env;
    private readonly IAnsiConsole? _console;
    private readonly ProgressTask? _task;

    private ProgressReporter(CliEnvironment env, IAnsiConsole? console, ProgressTask? task)
    {
        _env = env;
        _console = console;
        _task = task;
    }

    /// <summary>Runs <paramref name="work"/> under a progress display.</summary>
    /// <param name="env">Where to write, and whether it is a terminal.</param>
    /// <param name="label">What is being done.</param>
    /// <param name="total">Units of work: bytes, or files when <paramref name="bytes"/> is false.</param>
    /// <param name="work">The work, which calls <see cref="Advance"/> and <see cref="Line"/>.</param>
    /// <param name="bytes">Whether units are bytes (shown as sizes and a transfer speed).</param>
    public static async Task RunAsync(CliEnvironment env, string label, long total, Func<ProgressReporter, Task> work, bool bytes = true)
    {
        if (!env.Interactive)
        {
            await work(new ProgressReporter(env, null, null));
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(env.Out) });
        ProgressColumn[] columns = bytes
            ? [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn()]
            : [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn()];
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(columns)
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: Math.Max(total, 1));
                await work(new ProgressReporter(env, console, task));
                task.Value = task.MaxValue;
            });
    }

    /// <summary>Counts work done (bytes of a file sent or skipped, or one file).</summary>
    public void Advance(long units) => _task?.Increment(units);

    public void Line(string text)
    {
        lock (_lock)
        {
            if (_console is not null)
            {
                _console.WriteLine(text);
            }
            else
            {
                _env.Out.WriteLine(text);
            }
        }
    }
}
