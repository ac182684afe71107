using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Panoramax.Auth;
using Panoramax.Auth.Tokens;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Accounts;
using Panoramax.Persistence;
using Panoramax.Server.Configuration;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;
using Panoramax.Server.Users;
using Visibility = Panoramax.Domain.Visibility.Visibility;

namespace Panoramax.Server.Accounts;

/// <summary>The logged-in caller's own account (<c>/api/users/me</c>): settings and API tokens.</summary>
public static class MeEndpoints
{
    public static RouteGroupBuilder MapMe(this RouteGroupBuilder api)
    {
        var me = api.MapGroup("/users/me").WithTags("Auth");
        me.MapGet("", GetAsync).WithName("Me").WithSummary("The logged-in account, with its private settings").RequireLoginWithRedirect();
        me.MapPatch("", PatchAsync).WithName("PatchMe").WithSummary("Change default visibility, licence or collaborative editing").RequireLogin();
        me.MapGet("/collection", CollectionAsync).WithName("MyCollection").RequireLoginWithRedirect();
        me.MapGet("/catalog", (HttpContext http, LinkBuilder links) => Results.Redirect(links.Api($"/api/users/{http.Account()!.Id}/catalog/"))).WithName("MyCatalog").RequireLoginWithRedirect();
        me.MapGet("/tokens", ListTokensAsync).WithName("MyTokens").RequireLogin();
        me.MapPost("/tokens", CreateTokenAsync).WithName("CreateToken").WithSummary("A new token; its JWT is shown only in this answer").RequireLogin();
        me.MapGet("/tokens/{id:guid}", GetTokenAsync).WithName("MyToken").RequireLogin();
        me.MapDelete("/tokens/{id:guid}", RevokeTokenAsync).WithName("RevokeToken").WithSummary("Revoke at once: the next call with it is 401").RequireLogin();
        return api;
    }

    internal static async Task<IResult> GetAsync(HttpContext http, PanoramaxDbContext db, LinkBuilder links, IOptions<PanoramaxOptions> options, CancellationToken ct)
    {
        var account = await db.Accounts.AsNoTracking().SingleAsync(a => a.Id == http.Account()!.Id, ct);
        var json = UserJson(account, links, options.Value);
        json["external_logins"] = await db.ExternalLogins.AsNoTracking().Where(l => l.AccountId == account.Id).OrderBy(l => l.CreatedAt)
            .Select(l => new { provider = l.Provider, subject = l.Subject, display_name = l.DisplayName }).ToListAsync(ct);
        return Results.Json(json, ApiJson.Options);
    }

    internal static async Task<IResult> PatchAsync(HttpContext http, PanoramaxDbContext db, LinkBuilder links, IOptions<PanoramaxOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var body = await JsonBody.ParseObjectAsync(http.Request, "The request body must be a JSON object", ct);
        var account = await db.Accounts.SingleAsync(a => a.Id == http.Account()!.Id, ct);
        foreach (var p in body.EnumerateObject())
        {
            switch (p.Name)
            {
                case "collaborative_metadata":
                    account.CollaborativeMetadata = p.Value.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.Null => null,
                        _ => throw ApiException.BadRequest("collaborative_metadata must be true, false or null"),
                    };
                    break;
                case "default_visibility":
                    var allowed = ConfigurationEndpoints.PossibleVisibilities(options.Value);
                    if (p.Value.ValueKind != JsonValueKind.String || !allowed.Contains(p.Value.GetString()) || !ApiNames.TryParseApiName<Visibility>(p.Value.GetString(), out var v))
                    {
                        throw ApiException.BadRequest($"default_visibility must be one of {string.Join(", ", allowed)}");
                    }
                    account.DefaultVisibility = v;
                    break;
                case "default_license":
                    if (p.Value.ValueKind == JsonValueKind.Null)
                    {
                        account.DefaultLicense = null;
                        break;
                    }
                    var license = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!.Trim() : "";
                    if (license.Length is 0 or > 100 || license.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '+')))
                    {
                        throw ApiException.BadRequest("default_license must be an SPDX licence id such as CC-BY-SA-4.0, or null for the instance licence");
                    }
                    account.DefaultLicense = license;
                    break;
                default:
                    throw ApiException.BadRequest($"Unknown setting {p.Name}: collaborative_metadata, default_visibility and default_license can be changed");
            }
        }
        account.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return Results.Json(UserJson(account, links, options.Value), ApiJson.Options);
    }

    internal static Task<IResult> CollectionAsync(HttpContext http, LinkBuilder links, CurrentViewer current, NpgsqlDataSource db, IOptions<PanoramaxOptions> options, CancellationToken ct) =>
        UserEndpoints.CollectionAsync(http.Account()!.Id, http.Request, links, current, db, options, ct);

    internal static async Task<IResult> ListTokensAsync(HttpContext http, ApiTokenService tokens, LinkBuilder links, CancellationToken ct)
    {
        var list = await tokens.ListAsync(http.Account()!.Id, ct);
        return Results.Json(list.Select(t => new
        {
            id = t.Id,
            description = t.Description,
            generated_at = StacTime.Utc(t.GeneratedAt),
            links = new[] { new Link("self", links.Api($"/api/users/me/tokens/{t.Id}"), ApiJson.Json) },
        }), ApiJson.Options);
    }

    internal static async Task<IResult> CreateTokenAsync(HttpContext http, ApiTokenService tokens, CancellationToken ct)
    {
        string? description = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var (fields, _) = await AuthEndpoints.ReadFieldsAsync(http.Request, ct);
            description = fields.GetValueOrDefault("description");
        }
        if (description?.Length > 1000)
        {
            throw ApiException.BadRequest("description is too long (1000 characters at most)");
        }
        var issued = await tokens.IssueAsync(http.Account()!.Id, description, ct);
        return Results.Json(new
        {
            id = issued.Token.Id,
            description = issued.Token.Description,
            generated_at = StacTime.Utc(issued.Token.GeneratedAt),
            jwt_token = issued.Jwt,
        }, ApiJson.Options);
    }

    /// <summary>Without <c>jwt_token</c>: only its hash is kept, the JWT was shown once when it was made.</summary>
    internal static async Task<IResult> GetTokenAsync(Guid id, HttpContext http, ApiTokenService tokens, CancellationToken ct)
    {
        var t = await tokens.FindAsync(http.Account()!.Id, id, ct) ?? throw ApiException.NotFound($"Token {id} not found");
        return Results.Json(new { id = t.Id, description = t.Description, generated_at = StacTime.Utc(t.GeneratedAt) }, ApiJson.Options);
    }

    internal static async Task<IResult> RevokeTokenAsync(Guid id, HttpContext http, ApiTokenService tokens, CancellationToken ct) =>
        await tokens.RevokeAsync(http.Account()!.Id, id, ct)
            ? Results.Json(new { message = "token revoked" }, ApiJson.Options)
            : throw ApiException.NotFound($"Token {id} not found");

    /// <summary>The public user document plus what only the account itself (or an admin) may read.</summary>
    internal static Dictionary<string, object?> UserJson(Account a, LinkBuilder links, PanoramaxOptions o)
    {
        var admin = a.Role == AccountRole.Admin;
        var json = new Dictionary<string, object?>
        {
            ["id"] = a.Id,
            ["name"] = a.Name,
            ["email"] = a.Email,
            ["collaborative_metadata"] = a.CollaborativeMetadata,
            ["default_visibility"] = a.DefaultVisibility.ToApiName(),
            ["default_license"] = a.DefaultLicense ?? o.Instance.LicenseId,
            ["permissions"] = new Dictionary<string, object>
            {
                ["role"] = admin ? "admin" : "user",
                ["can_check_reports"] = admin,
                ["can_edit_excluded_areas"] = admin,
                ["can_edit_pages"] = admin,
            },
            ["links"] = new[]
            {
                new Link("catalog", links.Api($"/api/users/{a.Id}/catalog/"), ApiJson.Json),
                new Link("collection", links.Api($"/api/users/{a.Id}/collection"), ApiJson.Json),
                new Link("user-xyz", links.Api($"/api/users/{a.Id}/map/{{z}}/{{x}}/{{y}}.mvt"), "application/vnd.mapbox-vector-tile"),
            },
        };
        if (o.Auth.EnforceTosAcceptance)
        {
            json["tos_accepted"] = a.TosAcceptedAt is not null;
        }
        return json;
    }
}
