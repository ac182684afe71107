using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Panoramax.Auth;
using Panoramax.Domain.Abstractions;
using Panoramax.Domain.Exports;
using Panoramax.Domain.Jobs;
using Panoramax.Jobs.Export;
using Panoramax.Persistence;
using Panoramax.Persistence.Jobs;
using Panoramax.Server.Http;

namespace Panoramax.Server.Exports;

/// <summary>
/// Account export (<c>/api/users/me/export</c>): POST starts a durable export job, GET tells how far the latest one
/// went and links its archive, <c>…/{id}/download</c> streams the ZIP with ranges and validators (a cut download
/// resumes). Only the account itself sees its exports: another account's id is answered 404, as if it did not exist.
/// </summary>
public static class ExportEndpoints
{
    public static RouteGroupBuilder MapExports(this RouteGroupBuilder api)
    {
        var export = api.MapGroup("/users/me/export").WithTags("Auth").RequireLogin();
        export.MapGet("", LatestAsync).WithName("MyExport").WithSummary("Status of the latest export of the caller's account, with its download link");
        export.MapPost("", StartAsync).WithName("StartExport").WithSummary("Start an export of everything the caller uploaded (files, STAC metadata, sequences CSV)");
        export.MapGet("/{id:guid}", GetAsync).WithName("GetExport").WithSummary("Status of one export of the caller's account");
        export.MapMethods("/{id:guid}/download", [HttpMethods.Get, HttpMethods.Head], DownloadAsync).WithName("DownloadExport")
            .WithSummary("The export's ZIP archive (byte ranges supported: an interrupted download resumes)");
        return api;
    }

    internal static async Task<IResult> LatestAsync(HttpContext http, PanoramaxDbContext db, LinkBuilder links, TimeProvider clock, CancellationToken ct)
    {
        var me = http.Account()!.Id;
        var latest = await db.AccountExports.AsNoTracking().Where(e => e.AccountId == me).OrderByDescending(e => e.CreatedAt).FirstOrDefaultAsync(ct)
            ?? throw ApiException.NotFound("No export yet: POST /api/users/me/export to start one");
        return Results.Json(StatusJson(latest, links, clock), ApiJson.Options);
    }

    internal static async Task<IResult> GetAsync(Guid id, HttpContext http, PanoramaxDbContext db, LinkBuilder links, TimeProvider clock, CancellationToken ct)
    {
        var export = await FindAsync(db, http.Account()!.Id, id, ct);
        return Results.Json(StatusJson(export, links, clock), ApiJson.Options);
    }

    /// <summary>
    /// Queues a new export, unless one is already queued or running for this account: that one is answered instead
    /// (a double click does not start two jobs; a pending export whose job was lost gets one again). 202 with the
    /// status and its Location.
    /// </summary>
    internal static async Task<IResult> StartAsync(HttpContext http, PanoramaxDbContext db, IBlobStore store, LinkBuilder links, TimeProvider clock, CancellationToken ct)
    {
        var me = http.Account()!.Id;
        await ExportAccountHandler.ExpireAsync(db, store, clock, ct);
        var pending = await PendingAsync(db, me, ct);
        if (pending is not null)
        {
            // Its job is queued or running already (then this is a no-op), or was lost: then it is queued again.
            await JobQueue.EnqueueAsync(db, JobKinds.ExportAccount, pending.Id, clock, ct);
        }
        else
        {
            var now = clock.GetUtcNow();
            var created = new AccountExport { Id = Guid.NewGuid(), AccountId = me, BaseUrl = links.Base, CreatedAt = now, UpdatedAt = now };
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                db.AccountExports.Add(created);
                await db.SaveChangesAsync(ct);
                await JobQueue.EnqueueAsync(db, JobKinds.ExportAccount, created.Id, clock, ct);
                await tx.CommitAsync(ct);
                pending = created;
            }
            catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
            {
                // A concurrent request started one first (one pending export per account): answer that one.
                db.ChangeTracker.Clear();
                pending = await PendingAsync(db, me, ct);
                if (pending is null)
                {
                    throw;
                }
            }
        }
        http.Response.Headers.Location = links.Api($"/api/users/me/export/{pending.Id}");
        return Results.Json(StatusJson(pending, links, clock), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>How long a direct-download link to an archive works (S3 with direct downloads): enough to start the download.</summary>
    private static readonly TimeSpan PrivateLinkLifetime = TimeSpan.FromMinutes(15);

    internal static async Task DownloadAsync(Guid id, HttpContext http, PanoramaxDbContext db, IBlobStore store, TimeProvider clock, CancellationToken ct)
    {
        var export = await FindAsync(db, http.Account()!.Id, id, ct);
        var state = EffectiveState(export, clock);
        if (state != ExportState.Ready || export.BlobKey is null)
        {
            throw state == ExportState.Expired
                ? ApiException.NotFound("This export has expired and its archive was deleted: POST /api/users/me/export to make a new one")
                : ApiException.NotFound($"This export is {state.ToApiName()}, its archive is not available (yet)");
        }
        var info = await store.GetInfoAsync(export.BlobKey, ct)
            ?? throw ApiException.NotFound("The archive of this export is gone: POST /api/users/me/export to make a new one");
        var name = string.Create(CultureInfo.InvariantCulture, $"panoramax-export-{export.CreatedAt.UtcDateTime:yyyy-MM-dd}-{export.Id.ToString("N")[..8]}.zip");
        if (HttpMethods.IsGet(http.Request.Method) && store is IBlobDownloadLinks links && await links.GetPrivateDownloadLinkAsync(export.BlobKey, name, PrivateLinkLifetime, ct) is { } link)
        {
            // A big archive is fetched from the store itself; the link is for this caller only and short-lived
            // (GET only: the link is signed for that method; a HEAD is answered here).
            http.Response.Headers.CacheControl = "private, no-store";
            http.Response.Redirect(link.AbsoluteUri);
            return;
        }
        http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = name }.ToString();
        await BlobResponses.ServeAsync(http, store, info, ExportAccountHandler.ZipContentType, isPublic: false, ct);
    }

    private static Task<AccountExport?> PendingAsync(PanoramaxDbContext db, Guid me, CancellationToken ct) =>
        db.AccountExports.AsNoTracking()
            .Where(e => e.AccountId == me && (e.State == ExportState.Queued || e.State == ExportState.Running))
            .OrderByDescending(e => e.CreatedAt).FirstOrDefaultAsync(ct);

    private static async Task<AccountExport> FindAsync(PanoramaxDbContext db, Guid me, Guid id, CancellationToken ct) =>
        await db.AccountExports.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id && e.AccountId == me, ct)
            ?? throw ApiException.NotFound($"Export {id} not found");

    /// <summary>A ready export past its retention is expired even before the sweep deleted its archive.</summary>
    private static ExportState EffectiveState(AccountExport e, TimeProvider clock) =>
        e.State == ExportState.Ready && e.ExpiresAt is { } t && t <= clock.GetUtcNow() ? ExportState.Expired : e.State;

    private static Dictionary<string, object?> StatusJson(AccountExport e, LinkBuilder links, TimeProvider clock)
    {
        var state = EffectiveState(e, clock);
        var self = links.Api($"/api/users/me/export/{e.Id}");
        var l = new List<Link> { new("self", self, ApiJson.Json) };
        if (state == ExportState.Ready)
        {
            l.Add(new Link("download", self + "/download", ExportAccountHandler.ZipContentType, "ZIP archive of the account"));
        }
        return new Dictionary<string, object?>
        {
            ["id"] = e.Id,
            ["status"] = state.ToApiName(),
            ["progress"] = new Dictionary<string, object> { ["done"] = e.PicturesDone, ["total"] = e.PicturesTotal },
            ["created"] = StacTime.Utc(e.CreatedAt),
            ["updated"] = StacTime.Utc(e.UpdatedAt),
            ["finished"] = e.FinishedAt is { } f ? StacTime.Utc(f) : null,
            ["expires"] = e.ExpiresAt is { } x ? StacTime.Utc(x) : null,
            ["size"] = state == ExportState.Ready ? e.SizeBytes : null,
            ["sha256"] = state == ExportState.Ready ? e.Sha256 : null,
            ["error"] = e.Error,
            ["links"] = l,
        };
    }
}
