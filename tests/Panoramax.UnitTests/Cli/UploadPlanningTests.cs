using System.Text.Json;
using Panoramax.Cli;
using Panoramax.Cli.Upload;
using Panoramax.UnitTests.Imaging;

namespace Panoramax.UnitTests.Cli;

public sealed class UploadPlanningTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "panoramax-unit", $"cli-walk-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static string[] Names(PictureFolder folder) => [.. folder.Files.Select(f => Path.GetFileName(f))];

    private void Touch(params string[] relative)
    {
        foreach (var r in relative)
        {
            var path = Path.Combine(_root, r);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, r);
        }
    }

    [Fact]
    public void Every_folder_with_pictures_is_one_upload_set_with_its_jpegs_in_name_order()
    {
        Touch("b.JPG", "a.jpg", "notes.txt", "c.Jpeg", "day2/x.jpeg", "day2/raw/y.CR2", "empty/readme.md", "day3/deeper/z.jpg");

        var folders = FolderWalker.Find(_root);

        Assert.Equal(new[] { ".", "day2", Path.Combine("day3", "deeper") }, folders.Select(f => f.RelativePath));
        Assert.Equal(new[] { "a.jpg", "b.JPG", "c.Jpeg" }, Names(folders[0]));
        Assert.Equal(new[] { "x.jpeg" }, Names(folders[1]));
        Assert.All(folders.SelectMany(f => f.Files), f => Assert.True(Path.IsPathRooted(f)));
    }

    [Fact]
    public void Hidden_files_and_folders_are_left_out()
    {
        Touch("a.jpg", ".hidden.jpg", ".thumbnails/t.jpg", FolderState.FileName);
        var folder = Assert.Single(FolderWalker.Find(_root));
        Assert.Equal(new[] { "a.jpg" }, Names(folder));
    }

    [Fact]
    public void A_file_or_a_missing_folder_is_refused_with_a_message()
    {
        Touch("a.jpg");
        Assert.Contains("is a file", Assert.Throws<CliException>(() => FolderWalker.Find(Path.Combine(_root, "a.jpg"))).Message, StringComparison.Ordinal);
        Assert.Contains("no such folder", Assert.Throws<CliException>(() => FolderWalker.Find(Path.Combine(_root, "nope"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hashes_are_the_SHA256_and_MD5_of_the_file_bytes()
    {
        var hashes = await FileHashes.ComputeAsync(SharedData.Path("a-exif-samples-arezzo/DSCN0010.jpg"), default);
        // From shared/data/SHA256SUMS.
        Assert.Equal("17307b1207eb6487d7908e9d154890b46e3d2e0192369cfd3f4c33d5a5af4035", hashes.Sha256);
        Assert.Matches("^[0-9a-f]{32}$", hashes.Md5);
        var empty = Path.Combine(_root, "empty.jpg");
        Directory.CreateDirectory(_root);
        await File.WriteAllBytesAsync(empty, []);
        Assert.Equal(new FileHashes("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "d41d8cd98f00b204e9800998ecf8427e"),
            await FileHashes.ComputeAsync(empty, default));
    }

    [Fact]
    public void Upload_set_files_are_matched_by_SHA256_else_by_MD5()
    {
        var listed = JsonDocument.Parse("""
            {"files": [
              {"file_name": "a.jpg", "content_md5": "aaaa", "content_sha256": "AA11"},
              {"file_name": "b.jpg", "content_md5": "bbbb"},
              {"file_name": "c.jpg", "content_md5": "cccc", "content_sha256": "cc11",
               "rejected": {"reason": "invalid_metadata", "severity": "error", "message": "No GPS",
                            "details": {"error": "The picture has no position", "missing_fields": ["location"]}}},
              {"file_name": "d.jpg", "content_md5": "dddd", "rejected": {"reason": "file_duplicate", "severity": "error", "message": "elsewhere"}}
            ]}
            """).RootElement;
        var remote = RemoteFiles.From(listed);

        Assert.Equal(4, remote.Count);
        Assert.Equal("a.jpg", remote.Find(new FileHashes("aa11", "other"))?.FileName);
        Assert.Equal("b.jpg", remote.Find(new FileHashes("unlisted", "bbbb"))?.FileName);
        Assert.Null(remote.Find(new FileHashes("ffff", "ffff")));
        var rejected = remote.Find(new FileHashes("cc11", "x"))!.Rejection!;
        Assert.True(rejected.IsFailure);
        Assert.Equal("invalid_metadata", rejected.Reason);
        Assert.Equal("No GPS: The picture has no position (missing: location)", rejected.Message);
        Assert.False(remote.Find(new FileHashes("x", "dddd"))!.Rejection!.IsFailure);
        Assert.NotNull(remote.Named("a.jpg"));
        Assert.Null(remote.Named("c.jpg"));
    }

    [Fact]
    public void Folder_state_remembers_one_upload_set_per_instance()
    {
        Directory.CreateDirectory(_root);
        var one = InstanceUrl.Normalize("https://one.example.org");
        var two = InstanceUrl.Normalize("https://two.example.org");
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.True(FolderState.Read(_root).TryWrite(_root, one, a));
        Assert.True(FolderState.Read(_root).TryWrite(_root, two, b));

        var state = FolderState.Read(_root);
        Assert.Equal(a, state.For(InstanceUrl.Normalize("https://one.example.org/api")));
        Assert.Equal(b, state.For(two));
        Assert.Null(state.For(InstanceUrl.Normalize("https://three.example.org")));
    }
}
