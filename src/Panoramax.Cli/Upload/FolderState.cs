using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panoramax.Cli.Upload;

/// <summary>
/// <c>.panoramax-cli.json</c> in an uploaded folder: the upload set made for it on each instance, so that a second run
/// (after an interruption, or with new pictures) continues that set instead of starting another.
/// </summary>
public sealed class FolderState
{
    public const string FileName = ".panoramax-cli.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    [JsonPropertyName("upload_sets")]
    public Dictionary<string, Guid> UploadSets { get; set; } = new(StringComparer.Ordinal);

    public static FolderState Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<FolderState>(File.ReadAllText(path), Json) ?? new FolderState() : new FolderState();
        }
        catch (JsonException)
        {
            // A damaged state file only costs the resume: the server's duplicate checks still prevent double uploads.
            return new FolderState();
        }
    }

    public Guid? For(Uri instance) => UploadSets.TryGetValue(InstanceUrl.Key(instance), out var id) ? id : null;

    /// <summary>Records the set; false when the folder is not writable (the upload goes on, without resume by state file).</summary>
    public bool TryWrite(string folder, Uri instance, Guid uploadSetId)
    {
        UploadSets = new Dictionary<string, Guid>(UploadSets, StringComparer.Ordinal) { [InstanceUrl.Key(instance)] = uploadSetId };
        var path = Path.Combine(folder, FileName);
        try
        {
            var temp = path + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
