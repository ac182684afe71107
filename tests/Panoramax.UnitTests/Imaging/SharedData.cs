namespace Panoramax.UnitTests.Imaging;

/// <summary>The shared test pictures: <c>&lt;repo&gt;/../shared/data</c>, or <c>$PANORAMAX_SHARED_DIR/data</c>.</summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared { get; } =
        Environment.GetEnvironmentVariable("PANORAMAX_SHARED_DIR") is { Length: > 0 } env ? env : System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>A file under shared/data, e.g. <c>Path("a-exif-samples-arezzo/DSCN0010.jpg")</c>.</summary>
    public static string Path(string relative)
    {
        var full = System.IO.Path.Combine(Shared, "data", relative);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Test picture missing: {full} (set PANORAMAX_SHARED_DIR to the shared folder).", full);
        }
        return full;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Panoramax.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Tests must run from inside the repository (Panoramax.sln not found above the test binaries).");
    }
}
