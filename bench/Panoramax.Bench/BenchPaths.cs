namespace Panoramax.Bench;

/// <summary>Where ../shared (test pictures, models) is: PANORAMAX_SHARED_DIR, else beside the repository.</summary>
internal static class BenchPaths
{
    public static string SharedDir()
    {
        if (Environment.GetEnvironmentVariable("PANORAMAX_SHARED_DIR") is { Length: > 0 } env)
        {
            return env;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Panoramax.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            }
        }
        throw new InvalidOperationException("The shared folder (test pictures, models) was not found: set PANORAMAX_SHARED_DIR");
    }
}
