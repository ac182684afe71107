using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panoramax.Cli;

/// <summary>The user's configuration: one API token per instance and the instance used when none is named.</summary>
public sealed class CliConfig
{
    [JsonPropertyName("default_instance")]
    public string? DefaultInstance { get; set; }

    [JsonPropertyName("instances")]
    public Dictionary<string, InstanceConfig> Instances { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>What login keeps for one instance.</summary>
public sealed class InstanceConfig
{
    [JsonPropertyName("token")]
    public string? Token { get; set; }

    [JsonPropertyName("token_id")]
    public string? TokenId { get; set; }

    [JsonPropertyName("account_name")]
    public string? AccountName { get; set; }
}

/// <summary>
/// <c>config.json</c> in the user's config folder. It holds tokens (they act as the user), so the folder is created
/// 0700 and the file 0600, written to a temporary file and renamed so a crash never leaves half a file.
/// </summary>
public sealed class ConfigStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string FilePath { get; } = Path.Combine(directory, "config.json");

    public CliConfig Load()
    {
        if (!File.Exists(FilePath))
        {
            return new CliConfig();
        }
        try
        {
            var config = JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(FilePath), Json) ?? new CliConfig();
            config.Instances = new Dictionary<string, InstanceConfig>(config.Instances ?? new(), StringComparer.Ordinal);
            return config;
        }
        catch (JsonException e)
        {
            throw new CliException($"{FilePath} is not valid JSON ({e.Message}); fix it or delete it and log in again");
        }
    }

    public void Save(CliConfig config)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = FilePath + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, config, Json);
            stream.Flush(flushToDisk: true);
        }
        // The mode above applies only to a new file; a leftover temp file keeps its own.
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, FilePath, overwrite: true);
    }

    /// <summary>Keeps the token of an instance and makes it the default instance.</summary>
    public void SaveToken(Uri instance, string token, string? tokenId, string? accountName)
    {
        var config = Load();
        var key = InstanceUrl.Key(instance);
        config.Instances[key] = new InstanceConfig { Token = token, TokenId = tokenId, AccountName = accountName };
        config.DefaultInstance = key;
        Save(config);
    }
}
