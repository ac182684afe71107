using System.ComponentModel.DataAnnotations;
using Panoramax.Server.Hosting;

namespace Panoramax.UnitTests.Hosting;

/// <summary><c>Panoramax:TrustedProxies</c>: which senders of X-Forwarded-* headers are believed.</summary>
public sealed class TrustedProxiesTests
{
    private static List<ValidationResult> Problems(params string[] proxies)
    {
        var options = new PanoramaxOptions { TrustedProxies = proxies };
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Theory]
    [InlineData("10.1.2.3", "10.1.2.3/32")]
    [InlineData(" 192.168.0.0/16 ", "192.168.0.0/16")]
    [InlineData("::1", "::1/128")]
    [InlineData("fc00::/7", "fc00::/7")]
    public void Addresses_and_networks_are_read_as_networks(string entry, string expected) =>
        Assert.Equal(expected, PanoramaxOptions.ProxyNetwork(entry)!.Value.ToString());

    [Fact]
    public void Defaults_are_this_machine_and_private_networks()
    {
        var networks = PanoramaxOptions.DefaultTrustedProxies.Select(d => PanoramaxOptions.ProxyNetwork(d)!.Value).ToList();
        Assert.Contains(networks, n => n.Contains(System.Net.IPAddress.Loopback));
        Assert.Contains(networks, n => n.Contains(System.Net.IPAddress.Parse("172.18.0.5")));
        Assert.DoesNotContain(networks, n => n.Contains(System.Net.IPAddress.Parse("203.0.113.7")));
        Assert.Empty(Problems(PanoramaxOptions.DefaultTrustedProxies));
    }

    [Theory]
    [InlineData("proxy.example.org")]
    [InlineData("10.0.0.0/33")]
    public void Entries_that_are_not_addresses_or_networks_are_configuration_errors(string entry)
    {
        var problem = Assert.Single(Problems("127.0.0.1", entry, "*"));
        Assert.Contains($"'{entry}'", problem.ErrorMessage, StringComparison.Ordinal);
    }
}
