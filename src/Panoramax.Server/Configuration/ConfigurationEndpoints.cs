using Microsoft.Extensions.Options;
using Panoramax.Domain.Abstractions;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Stac;

namespace Panoramax.Server.Configuration;

/// <summary>
/// <c>/api/configuration</c>: what clients need to know about the instance (the CLI reads auth and defaults,
/// the viewer reads auth.enabled, the meta-catalogue stores it verbatim and refuses instances without it).
/// </summary>
public static class ConfigurationEndpoints
{
    public static RouteGroupBuilder MapInstanceConfiguration(this RouteGroupBuilder api)
    {
        api.MapGet("/configuration", Get).WithName("Configuration").WithSummary("Instance name, branding, licence, auth and upload defaults");
        return api;
    }

    internal static IResult Get(IOptions<PanoramaxOptions> options, AuthFeature auth)
    {
        var o = options.Value;
        var info = o.Instance;
        var body = new Dictionary<string, object?>
        {
            ["name"] = Localised(info.Name),
            ["description"] = Localised(info.Description),
            ["geo_coverage"] = Localised(info.GeoCoverage),
            ["logo"] = info.Logo?.ToString(),
            ["color"] = info.Color,
            ["email"] = info.Email,
            ["auth"] = auth.Enabled
                ? new Dictionary<string, object?>
                {
                    ["enabled"] = true,
                    ["user_profile"] = new { url = auth.UserProfileUrl },
                    ["registration_is_open"] = o.Auth.RegistrationIsOpen,
                    ["enforce_tos_acceptance"] = o.Auth.EnforceTosAcceptance,
                }
                : new Dictionary<string, object?> { ["enabled"] = false },
            ["license"] = info.LicenseUrl is null ? new { id = info.LicenseId } : new { id = info.LicenseId, url = info.LicenseUrl.ToString() },
            ["version"] = LandingEndpoints.Version,
            ["pages"] = Array.Empty<string>(),
            ["defaults"] = new Dictionary<string, object?>
            {
                ["collaborative_metadata"] = o.Defaults.CollaborativeMetadata,
                ["split_distance"] = o.Defaults.SplitDistanceM,
                ["split_time"] = o.Defaults.SplitTimeSeconds,
                ["duplicate_distance"] = o.Defaults.DuplicateDistanceM,
                ["duplicate_rotation"] = o.Defaults.DuplicateRotationDeg,
                ["default_visibility"] = o.Defaults.DefaultVisibility,
            },
            ["visibility"] = new { possible_values = PossibleVisibilities(o) },
        };
        return Results.Json(body, ApiJson.Options);
    }

    /// <summary>GeoVisio only offers logged-only when registration is closed (otherwise anyone could register to see it).</summary>
    internal static IReadOnlyList<string> PossibleVisibilities(PanoramaxOptions o) =>
        ApiNames.AllApiNames<Domain.Visibility.Visibility>()
            .Where(v => v != "logged-only" || !o.Auth.RegistrationIsOpen)
            .ToArray();

    /// <summary>GeoVisio's translatable text shape; instance texts are configured in one language (English).</summary>
    private static object Localised(string text) => new { label = text, langs = new Dictionary<string, string> { ["en"] = text } };
}

/// <summary>Whether login routes exist on this instance (the auth feature turns this on when it maps them).</summary>
public sealed class AuthFeature
{
    public bool Enabled { get; set; }
    public string? UserProfileUrl { get; set; }
}
