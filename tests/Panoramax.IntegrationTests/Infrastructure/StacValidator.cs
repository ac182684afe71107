using System.Diagnostics;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>Runs the offline STAC validator of ../shared/stac-validate (node) over URLs of a running instance.</summary>
public static class StacValidator
{
    private static readonly SemaphoreSlim SetupOnce = new(1, 1);
    private static bool _ready;

    public static async Task<(bool Ok, string Output)> ValidateAsync(params string[] urls)
    {
        var dir = Path.Combine(TestPaths.Shared, "stac-validate");
        await EnsureSetupAsync(dir);
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(dir, "validate.mjs"));
        foreach (var u in urls)
        {
            psi.ArgumentList.Add(u);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode == 0, await stdout + await stderr);
    }

    private static async Task EnsureSetupAsync(string dir)
    {
        await SetupOnce.WaitAsync();
        try
        {
            if (_ready)
            {
                return;
            }
            using var p = Process.Start(new ProcessStartInfo("bash", [Path.Combine(dir, "setup.sh")]) { RedirectStandardError = true })!;
            var err = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, $"stac-validate setup failed: {err}");
            _ready = true;
        }
        finally
        {
            SetupOnce.Release();
        }
    }
}
