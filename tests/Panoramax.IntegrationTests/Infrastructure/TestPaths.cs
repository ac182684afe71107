namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>Where the repository and the shared data (../shared beside the clone) are.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared (models, data, stac-validate); PANORAMAX_SHARED_DIR overrides it.</summary>
    public static string Shared { get; } =
        Environment.GetEnvironmentVariable("PANORAMAX_SHARED_DIR") is { Length: > 0 } env ? env : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string SharedData(params string[] parts) => Path.Combine([Shared, "data", .. parts]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Panoramax.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Tests must run from inside the repository (Panoramax.sln not found above the test binaries).");
    }
}
