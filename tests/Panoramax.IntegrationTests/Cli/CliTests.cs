using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Panoramax.Cli;
using Panoramax.Cli.Upload;
using Panoramax.IntegrationTests.Infrastructure;
using Panoramax.IntegrationTests.Processing;

namespace Panoramax.IntegrationTests.Cli;

/// <summary>
/// <c>panoramax-cli</c> against a real instance (real HTTP, real job worker, blurring off): copies of the shared
/// Arezzo walk are uploaded, interrupted, resumed, followed with <c>status</c> and downloaded back.
/// </summary>
public sealed partial class CliTests(NoBlurInstance instance) : IClassFixture<NoBlurInstance>, IDisposable
{
    private static readonly string[] Walk =
        ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg", "DSCN0025.jpg", "DSCN0027.jpg", "DSCN0029.jpg", "DSCN0038.jpg", "DSCN0040.jpg", "DSCN0042.jpg"];

    private readonly string _work = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"cli-{Guid.NewGuid():N}");

    private string ConfigDir => Path.Combine(_work, "config");

    private string Instance => instance.BaseUrl.ToString();

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    /// <summary>A folder with copies of shared pictures (paths under shared/data).</summary>
    private string Folder(string relative, params string[] shared)
    {
        var dir = Path.Combine(_work, relative);
        Directory.CreateDirectory(dir);
        foreach (var file in shared)
        {
            File.Copy(TestPaths.SharedData(file), Path.Combine(dir, Path.GetFileName(file)));
        }
        return dir;
    }

    private static string[] Arezzo(params string[] names) => [.. names.Select(n => $"a-exif-samples-arezzo/{n}")];

    private static string TokenOf(HttpClient client) => client.DefaultRequestHeaders.Authorization!.Parameter!;

    [Fact]
    public async Task Interrupted_upload_resumes_without_duplicates_and_prints_why_the_bad_file_was_refused()
    {
        var (accountId, user) = await TestAuth.UserAsync(instance, "cli-resume");
        var folder = Folder("walk", [.. Arezzo(Walk), "a-exif-samples-arezzo/no_exif.jpg"]);
        string[] upload = ["upload", folder, "--instance", Instance, "--token", TokenOf(user), "--parallel", "2"];

        var first = await CliRunner.RunAsync(ConfigDir, upload, interruptWhen: text => CliRunner.Count(text, ": uploaded") >= 3);
        Assert.True(first.Code == ExitCodes.Cancelled, first.ToString());
        Assert.Contains("run the same command again", first.Err, StringComparison.Ordinal);
        var setId = FolderState.Read(folder).For(InstanceUrl.Normalize(Instance));
        Assert.NotNull(setId);
        var sentBefore = (await FilesAsync(user, setId.Value)).Count;
        Assert.InRange(sentBefore, 3, Walk.Length + 1);

        var second = await CliRunner.RunAsync(ConfigDir, upload);
        Assert.True(second.Code == ExitCodes.SomeFailed, second.ToString());
        Assert.Contains($"continuing upload set {setId}", second.Out, StringComparison.Ordinal);
        Assert.Matches(@"no_exif\.jpg: REJECTED \(invalid_metadata\): .*\(missing: location, datetime\)", second.Out);
        Assert.Equal(Walk.Length, second.Count(": uploaded") + second.Count(": already uploaded"));
        Assert.True(second.Count(": already uploaded") >= 3, second.ToString());
        Assert.Contains("1 file(s) were not uploaded", second.Err, StringComparison.Ordinal);

        // Every good picture exactly once, the bad one tracked as rejected.
        var files = await FilesAsync(user, setId.Value);
        var kept = files.Where(f => !f.TryGetProperty("rejected", out _)).Select(f => f.GetProperty("file_name").GetString()!).Order().ToList();
        Assert.Equal(Walk.Order(), kept);
        var rejected = Assert.Single(files, f => f.TryGetProperty("rejected", out _));
        Assert.Equal("no_exif.jpg", rejected.GetProperty("file_name").GetString());
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var pictures = await db.Pictures.Where(p => p.AccountId == accountId && p.DeletedAt == null).Select(p => p.OriginalFileName).ToListAsync();
            Assert.Equal(Walk.Order(), pictures.Order());
        }

        // A third run sends nothing and still says why the bad file is not there.
        var third = await CliRunner.RunAsync(ConfigDir, upload);
        Assert.True(third.Code == ExitCodes.SomeFailed, third.ToString());
        Assert.Equal(Walk.Length, third.Count(": already uploaded"));
        Assert.Contains("no_exif.jpg: REJECTED earlier (invalid_metadata)", third.Out, StringComparison.Ordinal);
        Assert.Equal(files.Count, (await FilesAsync(user, setId.Value)).Count);

        var status = await CliRunner.RunAsync(ConfigDir, ["status", folder, "--instance", Instance, "--token", TokenOf(user)]);
        Assert.True(status.Code == ExitCodes.Ok, status.ToString());
        Assert.Contains($"Upload set {setId}", status.Out, StringComparison.Ordinal);
        Assert.Contains($"files: {Walk.Length + 1} received, {Walk.Length} accepted, 1 rejected", status.Out, StringComparison.Ordinal);
        Assert.Contains("rejected no_exif.jpg: invalid_metadata (error)", status.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_upload_process_is_resumed_by_a_second_run_that_exits_zero()
    {
        var (accountId, user) = await TestAuth.UserAsync(instance, "cli-kill");
        string[] walk = ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg", "DSCN0025.jpg", "DSCN0027.jpg", "DSCN0029.jpg"];
        var folder = Folder("killed", Arezzo(walk));
        string[] upload = ["upload", folder, "--instance", Instance, "--parallel", "1"];

        // The real program (dotnet Panoramax.Cli.dll), its token from the environment, killed after two files.
        using (var killed = CliProcess(upload, TokenOf(user)))
        {
            var uploaded = 0;
            while (await killed.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.EndsWith(": uploaded", StringComparison.Ordinal) && ++uploaded == 2)
                {
                    killed.Kill(entireProcessTree: true);
                    break;
                }
            }
            await killed.WaitForExitAsync();
            Assert.Equal(2, uploaded);
        }

        using var rerun = CliProcess(upload, TokenOf(user));
        var errors = rerun.StandardError.ReadToEndAsync();
        var output = await rerun.StandardOutput.ReadToEndAsync();
        await rerun.WaitForExitAsync();
        Assert.True(rerun.ExitCode == ExitCodes.Ok, $"exit {rerun.ExitCode}\n{output}\n{await errors}");
        Assert.Contains("continuing upload set", output, StringComparison.Ordinal);
        Assert.True(CliRunner.Count(output, ": already uploaded") >= 2, output);
        var (scope, db) = instance.OpenDb();
        await using (scope)
        {
            var pictures = await db.Pictures.Where(p => p.AccountId == accountId && p.DeletedAt == null).Select(p => p.OriginalFileName).ToListAsync();
            Assert.Equal(walk.Order(), pictures.Order());
        }
    }

    private Process CliProcess(string[] args, string token)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Panoramax.Cli.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["PANORAMAX_TOKEN"] = token;
        psi.Environment["XDG_CONFIG_HOME"] = ConfigDir;
        psi.Environment.Remove("PANORAMAX_INSTANCE");
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Folders_of_good_pictures_upload_with_exit_code_zero_and_a_sequence_downloads_back_resumably()
    {
        var (_, user) = await TestAuth.UserAsync(instance, "cli-download");
        var token = TokenOf(user);
        var root = Path.Combine(_work, "trip");
        var day1 = Folder(Path.Combine("trip", "day1"), Arezzo("DSCN0010.jpg", "DSCN0012.jpg"));
        var day2 = Folder(Path.Combine("trip", "day2"), Arezzo("DSCN0025.jpg", "DSCN0027.jpg"));

        var upload = await CliRunner.RunAsync(ConfigDir, ["upload", root, "--instance", Instance, "--token", token, "--title", "Trip"]);
        Assert.True(upload.Code == ExitCodes.Ok, upload.ToString());
        Assert.Equal(4, upload.Count(": uploaded"));
        var sets = new[] { day1, day2 }.Select(d => FolderState.Read(d).For(InstanceUrl.Normalize(Instance))!.Value).ToList();
        Assert.Equal(2, sets.Distinct().Count());

        var set = default(JsonElement);
        await UploadWriter.WaitUntilAsync(async () =>
        {
            set = await user.GetFromJsonAsync<JsonElement>($"/api/upload_sets/{sets[0]}");
            return set.GetProperty("ready").GetBoolean();
        }, TimeSpan.FromSeconds(120), "the first folder's upload set ready");
        Assert.Equal("Trip - day1", set.GetProperty("title").GetString());
        var sequence = set.GetProperty("associated_collections")[0].GetProperty("id").GetString()!;

        var output = Path.Combine(_work, "download");
        string[] download = ["download", sequence, "--out", output, "--instance", Instance, "--token", token];
        var first = await CliRunner.RunAsync(ConfigDir, download);
        Assert.True(first.Code == ExitCodes.Ok, first.ToString());
        var items = (await user.GetFromJsonAsync<JsonElement>($"/api/collections/{sequence}/items")).GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        var expected = new Dictionary<string, byte[]>();
        foreach (var item in items)
        {
            var props = item.GetProperty("properties");
            var name = $"{props.GetProperty("geovisio:rank_in_collection").GetInt32():D4}_{props.GetProperty("original_file:name").GetString()}";
            expected[name] = await user.GetByteArrayAsync(item.GetProperty("assets").GetProperty("hd").GetProperty("href").GetString());
        }
        Assert.Equal(expected.Keys.Order(), Directory.GetFiles(output).Select(f => Path.GetFileName(f)).Order());
        foreach (var (name, bytes) in expected)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(output, name)));
        }

        // Interrupted mid-file: the part is continued, the complete file is left alone.
        var (whole, partial) = (expected.Keys.Order().First(), expected.Keys.Order().Last());
        File.Delete(Path.Combine(output, partial));
        await File.WriteAllBytesAsync(Path.Combine(output, partial + ".part"), expected[partial][..1000]);
        var second = await CliRunner.RunAsync(ConfigDir, download);
        Assert.True(second.Code == ExitCodes.Ok, second.ToString());
        Assert.Contains($"{whole}: already downloaded", second.Out, StringComparison.Ordinal);
        Assert.Contains($"{partial}: downloaded (resumed)", second.Out, StringComparison.Ordinal);
        Assert.Equal(expected[partial], await File.ReadAllBytesAsync(Path.Combine(output, partial)));
        Assert.False(File.Exists(Path.Combine(output, partial + ".part")));
    }

    [Fact]
    public async Task Login_keeps_the_token_once_claimed_in_the_browser_and_later_commands_use_it()
    {
        var (id, _) = await TestAuth.UserAsync(instance, "cli-login");
        using var browser = await TestAuth.SessionAsync(instance, $"{id:N}@tests.invalid", TestAuth.PasswordOf("cli-login"));
        var output = new CapturingWriter();

        var login = CliRunner.RunAsync(ConfigDir, ["login", "--instance", Instance], output: output);
        string? claim = null;
        await UploadWriter.WaitUntilAsync(() =>
        {
            claim = ClaimUrl().Match(output.Text) is { Success: true } m ? m.Value : null;
            return Task.FromResult(claim is not null || login.IsCompleted);
        }, TimeSpan.FromSeconds(30), "the claim URL printed");
        Assert.NotNull(claim);
        await Task.Delay(300);
        Assert.False(login.IsCompleted, "login waits until the token is claimed");
        using (var accept = await browser.PostAsync(claim, null))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        }
        var result = await login;
        Assert.True(result.Code == ExitCodes.Ok, result.ToString());
        Assert.Contains("as cli-login", result.Out, StringComparison.Ordinal);

        var store = new ConfigStore(ConfigDir);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        var saved = store.Load();
        Assert.Equal(InstanceUrl.Key(instance.BaseUrl), saved.DefaultInstance);
        using var cli = TestAuth.BearerClient(instance, saved.Instances[saved.DefaultInstance!].Token!);
        Assert.Equal(id, (await cli.GetFromJsonAsync<JsonElement>("/api/users/me")).GetProperty("id").GetGuid());

        // Neither --instance nor --token: both come from the login.
        var folder = Folder("after-login", Arezzo("DSCN0040.jpg"));
        var upload = await CliRunner.RunAsync(ConfigDir, ["upload", folder]);
        Assert.True(upload.Code == ExitCodes.Ok, upload.ToString());
        var setId = FolderState.Read(folder).For(instance.BaseUrl)!.Value;
        Assert.Equal(id.ToString(), (await cli.GetFromJsonAsync<JsonElement>($"/api/upload_sets/{setId}")).GetProperty("account_id").GetString());
    }

    [Fact]
    public async Task Login_with_a_token_made_on_the_website_checks_it_before_keeping_it()
    {
        var (_, user) = await TestAuth.UserAsync(instance, "cli-token");
        var wrong = await CliRunner.RunAsync(ConfigDir, ["login", "--instance", Instance, "--token", "not-a-token"]);
        Assert.True(wrong.Code == ExitCodes.Usage, wrong.ToString());
        Assert.False(File.Exists(new ConfigStore(ConfigDir).FilePath));

        var right = await CliRunner.RunAsync(ConfigDir, ["login", "--instance", Instance], variables: new Dictionary<string, string> { ["PANORAMAX_TOKEN"] = TokenOf(user) });
        Assert.True(right.Code == ExitCodes.Ok, right.ToString());
        Assert.Contains("as cli-token", right.Out, StringComparison.Ordinal);
        Assert.Equal(TokenOf(user), new ConfigStore(ConfigDir).Load().Instances[InstanceUrl.Key(instance.BaseUrl)].Token);
    }

    [Fact]
    public async Task Upload_without_a_token_to_an_instance_that_needs_one_says_how_to_log_in()
    {
        var folder = Folder("anonymous", Arezzo("DSCN0042.jpg"));
        var result = await CliRunner.RunAsync(ConfigDir, ["upload", folder, "--instance", Instance]);
        Assert.True(result.Code == ExitCodes.Usage, result.ToString());
        Assert.Contains($"panoramax-cli login --instance {InstanceUrl.Key(instance.BaseUrl)}", result.Err, StringComparison.Ordinal);
    }

    private static async Task<List<JsonElement>> FilesAsync(HttpClient client, Guid setId) =>
        [.. (await client.GetFromJsonAsync<JsonElement>($"/api/upload_sets/{setId}/files")).GetProperty("files").EnumerateArray()];

    [GeneratedRegex(@"https?://\S+/claim")]
    private static partial Regex ClaimUrl();
}
