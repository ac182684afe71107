using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Panoramax.Federation;

namespace Panoramax.UnitTests.Federation;

/// <summary><c>Panoramax:Federation</c> as bound and validated by <c>AddPanoramaxFederation</c> (checked at start-up).</summary>
public sealed class FederationOptionsTests
{
    private static FederationOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{FederationOptions.Section}:{s.Key}", s.Value))).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddPanoramaxFederation();
        using var sp = services.BuildServiceProvider();
        return sp.GetRequiredService<IOptions<FederationOptions>>().Value;
    }

    [Fact]
    public void Live_search_allows_three_hops_by_default()
    {
        Assert.Equal(3, Bind().MaxHops);
        Assert.Equal(16, Bind(("MaxHops", "16")).MaxHops);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("17")]
    [InlineData("-1")]
    public void MaxHops_outside_1_to_16_is_a_configuration_error(string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(("MaxHops", value)));
        Assert.Contains("MaxHops", error.Message, StringComparison.Ordinal);
    }
}
