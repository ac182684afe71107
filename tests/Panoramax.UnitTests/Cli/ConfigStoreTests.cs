using Panoramax.Cli;

namespace Panoramax.UnitTests.Cli;

public sealed class ConfigStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "panoramax-unit", $"cli-config-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Tokens_are_kept_per_instance_in_a_file_only_the_user_can_read()
    {
        var store = new ConfigStore(Path.Combine(_dir, "panoramax-cli"));
        store.SaveToken(InstanceUrl.Normalize("https://one.example.org"), "token-one", "id-1", "alice");
        store.SaveToken(InstanceUrl.Normalize("https://two.example.org/api/"), "token-two", null, "bob");

        var config = new ConfigStore(Path.Combine(_dir, "panoramax-cli")).Load();
        Assert.Equal("token-one", config.Instances["https://one.example.org"].Token);
        Assert.Equal("token-two", config.Instances["https://two.example.org"].Token);
        Assert.Equal("https://two.example.org", config.DefaultInstance);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(store.FilePath)!));
        Assert.False(File.Exists(store.FilePath + ".tmp"));
    }

    [Fact]
    public void A_new_login_replaces_the_token_of_the_same_instance()
    {
        var store = new ConfigStore(_dir);
        store.SaveToken(InstanceUrl.Normalize("http://127.0.0.1:5000"), "old", null, "alice");
        store.SaveToken(InstanceUrl.Normalize("http://127.0.0.1:5000/"), "new", null, "alice");
        Assert.Equal("new", Assert.Single(store.Load().Instances).Value.Token);
    }

    [Fact]
    public void Missing_file_is_an_empty_configuration_and_a_damaged_one_is_explained()
    {
        var store = new ConfigStore(_dir);
        Assert.Empty(store.Load().Instances);
        Directory.CreateDirectory(_dir);
        File.WriteAllText(store.FilePath, "{not json");
        var e = Assert.Throws<CliException>(() => store.Load());
        Assert.Contains(store.FilePath, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/custom/xdg", "/home/u", "/custom/xdg/panoramax-cli")]
    [InlineData(null, "/home/u", "/home/u/.config/panoramax-cli")]
    [InlineData("relative/ignored", "/home/u", "/home/u/.config/panoramax-cli")]
    public void Config_folder_follows_the_XDG_base_directories(string? xdg, string home, string expected)
    {
        var vars = new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = xdg, ["HOME"] = home };
        Assert.Equal(expected, CliEnvironment.DefaultConfigDirectory(n => vars.GetValueOrDefault(n)));
    }

    [Theory]
    [InlineData("https://panoramax.example.org", "https://panoramax.example.org")]
    [InlineData("https://panoramax.example.org/", "https://panoramax.example.org")]
    [InlineData("https://panoramax.example.org/api", "https://panoramax.example.org")]
    [InlineData("https://example.org/panoramax/api/", "https://example.org/panoramax")]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000")]
    public void Every_form_of_an_instance_URL_has_one_key(string given, string key) =>
        Assert.Equal(key, InstanceUrl.Key(InstanceUrl.Normalize(given)));

    [Theory]
    [InlineData("panoramax.example.org")]
    [InlineData("ftp://example.org")]
    public void Instance_must_be_an_http_URL(string given) =>
        Assert.Throws<CliException>(() => InstanceUrl.Normalize(given));
}
