using System.ComponentModel.DataAnnotations;

namespace Panoramax.Auth;

/// <summary>
/// <c>Panoramax:Auth</c>: how people log in on this instance. One class for the whole section so that
/// /api/configuration, the login routes and the guards read the same switches.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Panoramax:Auth";

    /// <summary>When false every caller is anonymous and the login routes answer 501 (GeoVisio without OAuth).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Whether anyone may create an account; also decides whether <c>logged-only</c> visibility is offered.</summary>
    public bool RegistrationIsOpen { get; set; } = true;
    public bool EnforceTosAcceptance { get; set; }
    /// <summary>Name + password accounts kept here; false for instances whose only login is an external provider.</summary>
    public bool LocalAccounts { get; set; } = true;
    /// <summary>GeoVisio's API_FORCE_AUTH_ON_UPLOAD: when false, anonymous uploads belong to the default account.</summary>
    public bool ForceAuthOnUpload { get; set; } = true;
    [Range(1, 1000)]
    public int MaxFailedLogins { get; set; } = 5;
    [Range(1, 100_000)]
    public int LockoutMinutes { get; set; } = 15;
    [Range(8, 1024)]
    public int MinPasswordLength { get; set; } = 8;
    /// <summary>How long a login session lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(14);
    /// <summary>The page /api/auth/login sends people to when local accounts are the login.</summary>
    public string LoginPage { get; set; } = "/login";
}
