using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Panoramax.Auth;

/// <summary>
/// GeoVisio's three ways a route asks for a logged-in caller, as endpoint filters:
/// <list type="bullet">
/// <item><see cref="RequireLogin{TBuilder}"/> (login_required): anonymous → 401 <c>{"message":"Authentication is mandatory"}</c>;</item>
/// <item><see cref="RequireLoginBySetting{TBuilder}"/> (login_required_by_setting): the same only when
/// <c>ForceAuthOnUpload</c> is on, and a logged caller who must accept the terms of service first gets 401 too;</item>
/// <item><see cref="RequireLoginWithRedirect{TBuilder}"/> (login_required_with_redirect): anonymous → 302 to
/// <c>/api/auth/login?next_url=&lt;this URL&gt;</c>, for links people open in a browser.</item>
/// </list>
/// Ownership is not decided here: it belongs to the visibility policy inside the queries.
/// </summary>
public static class AuthGuards
{
    public static TBuilder RequireLogin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) => ctx.HttpContext.Account() is null ? Unauthenticated() : await next(ctx));

    public static TBuilder RequireLoginBySetting<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var o = ctx.HttpContext.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
            var account = ctx.HttpContext.Account();
            if (account is null)
            {
                return o.Enabled && o.ForceAuthOnUpload ? Unauthenticated() : await next(ctx);
            }
            if (o.EnforceTosAcceptance && account.TosAcceptedAt is null)
            {
                return Results.Json(new Dictionary<string, object?>
                {
                    ["message"] = "You must accept the terms of use before doing this",
                    ["status_code"] = 401,
                    ["details"] = new { validation_page = "/tos-validation" },
                }, statusCode: 401);
            }
            return await next(ctx);
        });

    public static TBuilder RequireLoginWithRedirect<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            if (ctx.HttpContext.Account() is not null)
            {
                return await next(ctx);
            }
            var o = ctx.HttpContext.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
            if (!o.Enabled)
            {
                return Results.Json(new Dictionary<string, object?> { ["message"] = "Authentication is not activated on this instance", ["status_code"] = 403 }, statusCode: 403);
            }
            var request = ctx.HttpContext.Request;
            return Results.Redirect($"{request.PathBase}/api/auth/login?next_url={Uri.EscapeDataString(request.GetEncodedUrl())}");
        });

    /// <summary>GeoVisio's plain 401 body (no status_code).</summary>
    public static IResult Unauthenticated() => Results.Json(new Dictionary<string, string> { ["message"] = "Authentication is mandatory" }, statusCode: 401);
}
