namespace Panoramax.Cli.Upload;

/// <summary>A folder holding pictures: it becomes one upload set.</summary>
/// <param name="Path">Absolute path of the folder.</param>
/// <param name="RelativePath">Path from the folder given on the command line (<c>.</c> for itself).</param>
/// <param name="Files">Absolute paths of its pictures, in file-name order.</param>
public sealed record PictureFolder(string Path, string RelativePath, IReadOnlyList<string> Files);

/// <summary>
/// Finds the folders to upload under a path: every folder (the path itself and any below it) with JPEG pictures
/// directly inside (<c>.jpg</c>/<c>.jpeg</c>, any case). Hidden files and folders (a leading dot) are left out.
/// </summary>
public static class FolderWalker
{
    private static readonly EnumerationOptions Direct = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
    };

    public static bool IsPicture(string fileName)
    {
        var name = Path.GetFileName(fileName);
        return !name.StartsWith('.')
            && (name.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase));
    }

    public static IReadOnlyList<PictureFolder> Find(string root)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new CliException(File.Exists(full) ? $"{root} is a file: give the folder that holds the pictures" : $"{root}: no such folder");
        }
        var folders = new List<PictureFolder>();
        var pending = new Stack<string>();
        pending.Push(full);
        while (pending.TryPop(out var dir))
        {
            var files = Directory.EnumerateFiles(dir, "*", Direct).Where(IsPicture).Order(StringComparer.Ordinal).ToList();
            if (files.Count > 0)
            {
                var relative = Path.GetRelativePath(full, dir);
                folders.Add(new PictureFolder(dir, relative, files));
            }
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", Direct).OrderDescending(StringComparer.Ordinal))
            {
                pending.Push(sub);
            }
        }
        return [.. folders.OrderBy(f => f.RelativePath == "." ? "" : f.RelativePath, StringComparer.Ordinal)];
    }
}
