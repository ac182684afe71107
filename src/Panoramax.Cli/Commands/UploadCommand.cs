using System.CommandLine;
using Panoramax.Cli.Upload;

namespace Panoramax.Cli.Commands;

/// <summary><c>upload PATH</c>: every folder with pictures under PATH becomes an upload set; re-running resumes.</summary>
public static class UploadCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment env)
    {
        var path = new Argument<string>("PATH") { Description = "Folder of pictures (its sub-folders too: one upload set per folder)" };
        var parallel = GlobalOptions.Parallel("Files sent at once");
        var title = new Option<string?>("--title") { Description = "Title of the upload set (default: the folder's name)" };
        var visibility = new Option<string?>("--visibility") { Description = "Who may see the pictures (default: your account's setting)" };
        visibility.AcceptOnlyFromAmong("anyone", "owner-only", "logged-only");

        var command = new Command("upload", "Upload the pictures of a folder; run it again to resume an interrupted upload") { path, parallel, title, visibility };
        command.SetAction((parse, ct) => GlobalOptions.GuardAsync(env, async () =>
        {
            var folders = FolderWalker.Find(parse.GetValue(path)!);
            if (folders.Count == 0)
            {
                throw new CliException($"No pictures (.jpg, .jpeg) in {parse.GetValue(path)} or its sub-folders");
            }
            var instance = globals.ResolveInstance(parse, env);
            var settings = new UploadSettings(parse.GetValue(parallel), parse.GetValue(title), parse.GetValue(visibility));
            using var client = new PanoramaxClient(instance, globals.ResolveToken(parse, env, instance), settings.Parallel);
            var totalBytes = folders.Sum(f => f.Files.Sum(file => new FileInfo(file).Length));
            var results = new List<FolderResult>();
            await ProgressReporter.RunAsync(env, $"Uploading to {instance.Authority}", totalBytes, async progress =>
            {
                var uploader = new FolderUploader(client, settings, progress);
                foreach (var folder in folders)
                {
                    results.Add(await uploader.UploadAsync(folder, folders.Count, ct));
                }
            });
            var failed = results.Sum(r => r[FileOutcome.Rejected] + r[FileOutcome.Failed]);
            if (failed > 0)
            {
                await env.Error.WriteLineAsync($"{failed} file(s) were not uploaded: see the reasons above");
                return ExitCodes.SomeFailed;
            }
            await env.Out.WriteLineAsync($"Done. Follow the processing with: panoramax-cli status {parse.GetValue(path)}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
