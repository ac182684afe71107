using Panoramax.Cli;

namespace Panoramax.UnitTests.Cli;

public sealed class ProgressReporterTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Per_file_lines_reach_the_output_with_or_without_a_progress_bar(bool interactive)
    {
        var output = new StringWriter();
        var env = new CliEnvironment { Out = output, Error = output, Interactive = interactive, ConfigDirectory = "/nonexistent" };

        await ProgressReporter.RunAsync(env, "Uploading", 300, async progress =>
        {
            await Task.WhenAll(Enumerable.Range(0, 3).Select(i => Task.Run(() =>
            {
                progress.Advance(100);
                progress.Line($"[{i}] IMG_{i}.jpg: uploaded");
            })));
        });

        for (var i = 0; i < 3; i++)
        {
            Assert.Contains($"IMG_{i}.jpg: uploaded", output.ToString(), StringComparison.Ordinal);
        }
    }
}
