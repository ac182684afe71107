using System.CommandLine;
using System.Text.Json;
using Panoramax.Cli.Upload;

namespace Panoramax.Cli.Commands;

/// <summary>
/// <c>status [UPLOAD_SET_ID|PATH]</c>: where the upload sets stand: files kept and rejected (with reasons), pictures
/// prepared / being prepared / waiting / broken, and the sequences made. PATH (default: the current folder) means the
/// sets remembered in the folders below it for this instance.
/// </summary>
public static class StatusCommand
{
    public static Command Create(GlobalOptions globals, CliEnvironment env)
    {
        var target = new Argument<string?>("UPLOAD_SET_ID|PATH")
        {
            Description = "An upload set id, or a folder uploaded before (default: the current folder)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("status", "Show the state of upload sets: files accepted or rejected, processing, sequences") { target };
        command.SetAction((parse, ct) => GlobalOptions.GuardAsync(env, async () =>
        {
            var instance = globals.ResolveInstance(parse, env);
            var text = parse.GetValue(target) ?? ".";
            List<(Guid, string?)> sets = Guid.TryParse(text, out var id) ? [(id, null)] : SetsUnder(text, instance);
            using var client = new PanoramaxClient(instance, globals.ResolveToken(parse, env, instance));
            foreach (var (setId, folder) in sets)
            {
                JsonElement set, files;
                try
                {
                    set = await client.GetAsync($"api/upload_sets/{setId}", ct);
                    files = await client.GetAsync($"api/upload_sets/{setId}/files", ct);
                }
                catch (ApiErrorException e) when (e.Status == 404)
                {
                    await env.Out.WriteLineAsync($"Upload set {setId}{(folder is null ? "" : $" ({folder})")}: not found on the instance (deleted, or not visible to you)");
                    continue;
                }
                await WriteAsync(env.Out, set, files, folder);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static List<(Guid, string?)> SetsUnder(string path, Uri instance)
    {
        var sets = FolderWalker.Find(path)
            .Select(f => (Id: FolderState.Read(f.Path).For(instance), f.RelativePath))
            .Where(s => s.Id is not null)
            .Select(s => (s.Id!.Value, (string?)s.RelativePath))
            .ToList();
        return sets.Count > 0
            ? sets
            : throw new CliException($"Nothing under {path} was uploaded to {InstanceUrl.Key(instance)} (no {FolderState.FileName} naming it); give an upload set id instead");
    }

    private static async Task WriteAsync(TextWriter o, JsonElement set, JsonElement files, string? folder)
    {
        var all = files.TryGetProperty("files", out var f) ? f.EnumerateArray().ToList() : [];
        var rejected = all.Where(x => x.TryGetProperty("rejected", out _)).ToList();
        await o.WriteLineAsync($"Upload set {Str(set, "id")} \"{Str(set, "title")}\"{(folder is null ? "" : $" (folder {folder})")}");
        await o.WriteLineAsync($"  files: {all.Count} received, {all.Count - rejected.Count} accepted, {rejected.Count} rejected");
        await o.WriteLineAsync($"  completed: {YesNo(set, "completed")}, dispatched into sequences: {YesNo(set, "dispatched")}, all ready: {YesNo(set, "ready")}");
        if (set.TryGetProperty("items_status", out var s))
        {
            await o.WriteLineAsync($"  pictures: {Num(s, "prepared")} ready, {Num(s, "preparing")} being prepared, {Num(s, "not_processed")} waiting, {Num(s, "broken")} broken");
        }
        if (set.TryGetProperty("associated_collections", out var cols) && cols.ValueKind == JsonValueKind.Array && cols.GetArrayLength() > 0)
        {
            await o.WriteLineAsync("  sequences:");
            foreach (var c in cols.EnumerateArray())
            {
                await o.WriteLineAsync($"    {Str(c, "id")} \"{Str(c, "title")}\": {Num(c, "nb_items")} pictures, {(c.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True ? "ready" : "processing")}");
            }
        }
        foreach (var x in rejected)
        {
            var rejection = RemoteRejection.From(x.GetProperty("rejected"));
            await o.WriteLineAsync($"  rejected {Str(x, "file_name")}: {rejection?.Reason} ({rejection?.Severity}): {rejection?.Message}");
        }
        var broken = all.Where(x => Str(x, "picture_status") == "broken").ToList();
        foreach (var x in broken)
        {
            await o.WriteLineAsync($"  broken {Str(x, "file_name")}: {Str(x, "process_error")}");
        }
    }

    private static string Str(JsonElement o, string name) => RemoteRejection.Text(o, name) ?? "";

    private static string Num(JsonElement o, string name) => o.TryGetProperty(name, out var v) ? v.ToString() : "?";

    private static string YesNo(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True ? "yes" : "no";
}
