using System.Text.Json;

namespace Panoramax.Cli.Upload;

/// <summary>What became of one local file.</summary>
public enum FileOutcome
{
    Uploaded,
    AlreadyInSet,
    AlreadyOnInstance,
    Rejected,
    Failed,
}

/// <summary>How an upload was asked for.</summary>
/// <param name="Parallel">Files sent at once.</param>
/// <param name="Title">Title of the upload sets (else each folder's name).</param>
/// <param name="Visibility">Visibility of the pictures (else the account's default).</param>
public sealed record UploadSettings(int Parallel, string? Title, string? Visibility);

/// <summary>Counts of one folder's files by outcome, and its upload set.</summary>
public sealed class FolderResult(PictureFolder folder, Guid uploadSetId)
{
    private readonly int[] _counts = new int[Enum.GetValues<FileOutcome>().Length];

    public PictureFolder Folder { get; } = folder;
    public Guid UploadSetId { get; } = uploadSetId;

    public int this[FileOutcome outcome] => Volatile.Read(ref _counts[(int)outcome]);

    public bool AnyFailed => this[FileOutcome.Rejected] + this[FileOutcome.Failed] > 0;

    internal int Add(FileOutcome outcome) => Interlocked.Increment(ref _counts[(int)outcome]);
}

/// <summary>
/// Uploads folders, one upload set each, resumably: the set made for a folder is remembered in the folder
/// (<see cref="FolderState"/>); a second run continues it, skips the files the set already lists with the same bytes
/// (and says again why earlier rejected ones were refused), sends the rest in parallel, and completes the set. The
/// server's own duplicate answers (409) are the safety net when the state file is lost.
/// </summary>
public sealed class FolderUploader(PanoramaxClient client, UploadSettings settings, ProgressReporter progress)
{
    public async Task<FolderResult> UploadAsync(PictureFolder folder, int folderCount, CancellationToken ct)
    {
        var state = FolderState.Read(folder.Path);
        var (setId, resumed) = await OpenSetAsync(folder, folderCount, state, ct);
        var remote = resumed ? RemoteFiles.From(await client.GetAsync($"api/upload_sets/{setId}/files", ct)) : RemoteFiles.Empty;
        progress.Line(resumed
            ? $"{Label(folder)}: {folder.Files.Count} pictures, continuing upload set {setId} ({remote.Count} files already there)"
            : $"{Label(folder)}: {folder.Files.Count} pictures, new upload set {setId}");

        var result = new FolderResult(folder, setId);
        await Parallel.ForEachAsync(folder.Files, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallel, CancellationToken = ct }, async (file, token) =>
        {
            var (outcome, detail) = await OneAsync(setId, file, remote, token);
            var done = result.Add(outcome);
            progress.Advance(new FileInfo(file).Length);
            progress.Line($"[{done}/{folder.Files.Count}] {Path.GetFileName(file)}: {detail}");
        });

        try
        {
            await client.PostAsync($"api/upload_sets/{setId}/complete", null, ct);
        }
        catch (ApiErrorException e)
        {
            progress.Line($"{Label(folder)}: the upload set could not be completed ({e.Message}); run the upload again to retry");
            result.Add(FileOutcome.Failed);
        }
        var already = result[FileOutcome.AlreadyInSet] + result[FileOutcome.AlreadyOnInstance];
        progress.Line($"{Label(folder)}: {result[FileOutcome.Uploaded]} uploaded, {already} already there, {result[FileOutcome.Rejected]} rejected, {result[FileOutcome.Failed]} failed; upload set {setId}");
        return result;
    }

    private static string Label(PictureFolder folder) => folder.RelativePath == "." ? Path.GetFileName(folder.Path) : folder.RelativePath;

    private string TitleOf(PictureFolder folder, int folderCount)
    {
        var name = Path.GetFileName(folder.Path.TrimEnd(Path.DirectorySeparatorChar));
        var title = settings.Title is { Length: > 0 } t
            ? folderCount > 1 && folder.RelativePath != "." ? $"{t} - {folder.RelativePath}" : t
            : name;
        return title.Length > 250 ? title[..250] : title;
    }

    /// <summary>The set remembered for the folder on this instance if the instance still has it, else a new one.</summary>
    private async Task<(Guid Id, bool Resumed)> OpenSetAsync(PictureFolder folder, int folderCount, FolderState state, CancellationToken ct)
    {
        if (state.For(client.Instance) is { } known)
        {
            try
            {
                await client.GetAsync($"api/upload_sets/{known}", ct);
                return (known, true);
            }
            catch (ApiErrorException e) when (e.Status is 404 or 403)
            {
                progress.Line($"{Label(folder)}: upload set {known} of an earlier run is gone from the instance; starting a new one");
            }
        }
        var body = new Dictionary<string, object>
        {
            ["title"] = TitleOf(folder, folderCount),
            ["estimated_nb_files"] = folder.Files.Count,
        };
        if (settings.Visibility is { } visibility)
        {
            body["visibility"] = visibility;
        }
        JsonElement created;
        try
        {
            created = await client.PostAsync("api/upload_sets", body, ct);
        }
        catch (ApiErrorException e) when (e.Status == 401)
        {
            throw NotLoggedIn(e);
        }
        catch (ApiErrorException e) when (e.Status == 404)
        {
            throw new CliException($"{client.Instance} does not know upload sets (/api/upload_sets): it runs a server too old for this CLI");
        }
        catch (ApiErrorException e)
        {
            throw new CliException($"{Label(folder)}: the instance refused to create an upload set: {e.Message}");
        }
        var id = created.GetProperty("id").GetGuid();
        if (!state.TryWrite(folder.Path, client.Instance, id))
        {
            progress.Line($"{Label(folder)}: cannot write {FolderState.FileName} in the folder; a later run will rely on the server's duplicate checks");
        }
        return (id, false);
    }

    private CliException NotLoggedIn(ApiErrorException e) =>
        new($"{client.Instance} needs you to log in to upload ({e.Message}): run panoramax-cli login --instance {InstanceUrl.Key(client.Instance)}");

    private async Task<(FileOutcome, string)> OneAsync(Guid setId, string file, RemoteFiles remote, CancellationToken ct)
    {
        var name = Path.GetFileName(file);
        if (remote.Count > 0)
        {
            var hashes = await FileHashes.ComputeAsync(file, ct);
            if (remote.Find(hashes) is { } there)
            {
                return there.Rejection switch
                {
                    null => (FileOutcome.AlreadyInSet, "already uploaded"),
                    { Reason: "file_duplicate" } => (FileOutcome.AlreadyOnInstance, "already on the instance (in another upload set)"),
                    { IsFailure: false } r => (FileOutcome.AlreadyInSet, $"already sent ({r.Reason}: {r.Message})"),
                    { } r => (FileOutcome.Rejected, $"REJECTED earlier ({r.Reason}): {r.Message}"),
                };
            }
            if (remote.Named(name) is not null)
            {
                return (FileOutcome.Failed, "FAILED: the upload set already holds another picture of this name (was the file changed?); rename it or delete that picture on the instance");
            }
        }

        FileAnswer answer;
        try
        {
            answer = await client.PostFileAsync($"api/upload_sets/{setId}/files", file, name, ct);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (FileOutcome.Failed, $"FAILED: {e.Message}");
        }
        var body = answer.Body;
        switch (answer.Status)
        {
            case 200 or 201 or 202:
                return (FileOutcome.Uploaded, "uploaded");
            case 401:
                throw NotLoggedIn(new ApiErrorException(401, PanoramaxClient.MessageOf(401, body), body));
            case 409 when body.ValueKind == JsonValueKind.Object && body.TryGetProperty("upload_sets", out _):
                return (FileOutcome.AlreadyOnInstance, "already on the instance (in another upload set)");
            case 409 when body.ValueKind == JsonValueKind.Object && body.TryGetProperty("existing_item", out _):
                return (FileOutcome.AlreadyInSet, "already uploaded");
            case 400 or 409 or 413 or 415 or 422:
                var rejection = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("rejected", out var r) ? RemoteRejection.From(r) : null;
                var reason = rejection?.Reason ?? (answer.Status == 413 ? "too_large" : "rejected");
                var message = rejection?.Message ?? WithMissing(PanoramaxClient.MessageOf(answer.Status, body), body);
                return (FileOutcome.Rejected, $"REJECTED ({reason}): {message}");
            default:
                return (FileOutcome.Failed, $"FAILED (HTTP {answer.Status}): {PanoramaxClient.MessageOf(answer.Status, body)}");
        }
    }

    /// <summary>GeoVisio's 400 names the missing metadata in <c>details.missing_fields</c>.</summary>
    private static string WithMissing(string message, JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object
            && d.TryGetProperty("missing_fields", out var m) && m.ValueKind == JsonValueKind.Array && m.GetArrayLength() > 0
            ? $"{message} (missing: {string.Join(", ", m.EnumerateArray().Select(x => x.ToString()))})"
            : message;
}
