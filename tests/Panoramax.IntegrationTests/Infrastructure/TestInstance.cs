using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Panoramax.Persistence;
using Panoramax.Server.Hosting;

namespace Panoramax.IntegrationTests.Infrastructure;

/// <summary>
/// A real Panoramax host on a loopback port (real Kestrel, real HTTP) against its own database in the
/// test cluster, with its own data folder. One per test class (xunit class fixture).
/// </summary>
public class TestInstance : IAsyncLifetime
{
    public const string AdminPassword = "admin-password-for-tests";
    private WebApplication? _app;

    public string ConnectionString { get; private set; } = "";
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "panoramax-tests", $"{Environment.ProcessId}-instance-{Guid.NewGuid():N}");
    public Uri BaseUrl { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("Not started");

    /// <summary>Extra configuration (key → value) a test class needs.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [];

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestCluster.CreateDatabaseAsync(GetType().Name);
        _app = await PanoramaxApp.CreateAsync([.. HostArguments()]);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address);
        Http = new HttpClient { BaseAddress = BaseUrl };
    }

    /// <summary>The command line of this instance's host (another host on the same database and storage can reuse it).</summary>
    protected List<string> HostArguments()
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            // Every host gets its own free federation (gRPC) port.
            "--Panoramax:Federation:GrpcUrl=http://127.0.0.1:0",
            $"--ConnectionStrings:Panoramax={ConnectionString}",
            $"--Panoramax:DataDirectory={DataDirectory}",
            $"--Panoramax:Admin:InitialPassword={AdminPassword}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=Critical",
            // Tests log in, register and ask for tokens from one address far more often than people do: the per-client
            // budgets are lifted here (the tests of the budgets set their own in Settings, which come after).
            "--Panoramax:Auth:LoginsPerClientPerMinute=1000000",
            "--Panoramax:Auth:RegistrationsPerClientPerHour=1000000",
            "--Panoramax:Auth:TokenRequestsPerClientPerMinute=1000000",
            "--Panoramax:ReportsPerClientPerHour=1000000",
        };
        args.AddRange(Settings.Select(kv => $"--{kv.Key}={kv.Value}"));
        return args;
    }

    public virtual async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await TestCluster.DropDatabaseAsync(ConnectionString);
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    /// <summary>A DbContext on this instance's database (dispose the scope with it).</summary>
    public (AsyncServiceScope Scope, PanoramaxDbContext Db) OpenDb()
    {
        var scope = Services.CreateAsyncScope();
        return (scope, scope.ServiceProvider.GetRequiredService<PanoramaxDbContext>());
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<HttpResponseMessage> PostJsonAsync<T>(string path, T body) => Http.PostAsJsonAsync(path, body);
}
