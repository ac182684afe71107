using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Panoramax.Domain.Visibility;
using Panoramax.Persistence;
using Panoramax.Server.Hosting;
using Panoramax.Server.Http;

namespace Panoramax.Server.Uploads;

/// <summary>
/// Who uploads: the logged-in caller, or, when <c>Panoramax:Auth:ForceAuthOnUpload</c> is off, the instance's default
/// account on behalf of anonymous callers (GeoVisio's <c>login_required_by_setting</c>).
/// </summary>
public sealed class Uploader(CurrentViewer current, IOptions<PanoramaxOptions> options, PanoramaxDbContext db)
{
    private Viewer? _resolved;

    /// <summary>Anonymous callers are refused with GeoVisio's plain 401 body (no status_code) when uploads need an account.</summary>
    public static readonly IResult AuthenticationMandatory =
        Results.Json(new Dictionary<string, string> { ["message"] = "Authentication is mandatory" }, ApiJson.Options, ApiJson.Json, StatusCodes.Status401Unauthorized);

    public bool MayUpload => current.Viewer.IsLoggedIn || !options.Value.Auth.ForceAuthOnUpload;

    /// <summary>The viewer writes are checked against: the caller, or the default account standing in for an anonymous one.</summary>
    public async Task<Viewer> ActingViewerAsync(CancellationToken ct)
    {
        if (_resolved is not null)
        {
            return _resolved;
        }
        var viewer = current.Viewer;
        if (viewer.IsLoggedIn)
        {
            return _resolved = viewer;
        }
        if (options.Value.Auth.ForceAuthOnUpload)
        {
            throw ApiException.Unauthorized("Authentication is mandatory");
        }
        var id = await db.Accounts.Where(a => a.IsDefault).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(ct)
            ?? throw new InvalidOperationException("The default account is missing (it is created at start-up).");
        return _resolved = Viewer.Account(id);
    }

    /// <summary>Endpoint filter of the write routes: refuses anonymous callers before the body is read.</summary>
    public static async ValueTask<object?> RequireUploaderAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var uploader = context.HttpContext.RequestServices.GetRequiredService<Uploader>();
        if (!uploader.MayUpload)
        {
            return AuthenticationMandatory;
        }
        return await next(context);
    }
}
