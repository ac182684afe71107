using Microsoft.Extensions.Options;
using Panoramax.Auth;
using Panoramax.Persistence.Manage;
using Panoramax.Server.Hosting;

namespace Panoramax.Server.Pages;

/// <summary>
/// Pages for managing what was published, in the style of <c>/upload</c> and <c>/account</c>: plain HTML from the
/// server, and a small script per page that calls the JSON API with the session cookie, so every rule (ownership,
/// visibility, takedowns) stays in the API. <c>/my/sequences</c> (list, visibility, delete, viewer links),
/// <c>/my/sequences/{id}</c> (pictures grid, cut, take out, delete, reorder, merge), <c>/my/reports</c> and, for admins
/// (the moderators), <c>/admin/reports</c>. Anonymous visitors are sent to the login page and come back.
/// </summary>
public static class ManagePages
{
    private static readonly Dictionary<string, string> SortFields = new(StringComparer.Ordinal)
    {
        ["gpsdate"] = "capture time",
        ["filedate"] = "camera clock time",
        ["filename"] = "file name",
    };

    /// <summary>Maps the four pages.</summary>
    /// <param name="app">The application.</param>
    public static WebApplication MapManagePages(this WebApplication app)
    {
        app.MapGet("/my/sequences", MySequences).WithName("MySequencesPage").ExcludeFromDescription().RequireLoginWithRedirect();
        app.MapGet("/my/sequences/{id:guid}", Sequence).WithName("SequencePage").ExcludeFromDescription().RequireLoginWithRedirect();
        app.MapGet("/my/reports", MyReports).WithName("MyReportsPage").ExcludeFromDescription().RequireLoginWithRedirect();
        app.MapGet("/admin/reports", AdminReports).WithName("AdminReportsPage").ExcludeFromDescription().RequireLoginWithRedirect();
        return app;
    }

    internal static IResult MySequences(HttpContext http, IOptions<PanoramaxOptions> options)
    {
        const string body = """
            <p><a href="/upload">Upload new pictures</a></p>
            <p id="status" class="status" role="status"></p>
            <p id="count" aria-live="polite"></p>
            <table id="sequences-table" hidden>
              <caption class="visually-hidden">Your sequences, newest first</caption>
              <thead><tr>
                <th scope="col">Title</th><th scope="col">Status</th><th scope="col">Pictures</th><th scope="col">Taken</th>
                <th scope="col">Uploaded</th><th scope="col">Who can see it</th><th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr></thead>
              <tbody id="sequences"></tbody>
            </table>
            <p id="empty" hidden>You have no sequence yet: <a href="/upload">upload pictures</a> to make one.</p>
            """;
        return PageLayout.Render(http, options.Value, "My sequences", body, 200, "pages.js", "my-sequences.js");
    }

    internal static IResult Sequence(Guid id, HttpContext http, IOptions<PanoramaxOptions> options)
    {
        var sortOptions = string.Concat(SequenceRanks.SortKeys.Keys.Select(k =>
            $"""<option value="{PageLayout.E(k)}">{PageLayout.E(SortLabel(k))}</option>"""));
        var body = $"""
            <div id="sequence" data-id="{id}">
              <p class="actions"><a href="/my/sequences">All my sequences</a> · <a id="viewer-link" href="/?seq={id}">Open in the viewer</a></p>
              <p id="summary" aria-live="polite">Loading…</p>
              <p id="status" class="status" role="status"></p>
              <div class="tools">
                <form id="reorder">
                  <p><label for="sortby">Order the pictures by</label><br><select id="sortby">{sortOptions}</select></p>
                  <p><button type="submit">Reorder</button></p>
                </form>
                <form id="merge" hidden>
                  <p><label for="merge-with">Merge with another of my sequences</label><br><select id="merge-with"></select></p>
                  <p><button type="submit">Merge into this sequence</button></p>
                </form>
              </div>
              <h2 id="pictures-title">Pictures</h2>
              <p>"Cut here" starts a new sequence at that picture; "Take out" moves one picture into a sequence of its own.
                 Picture ids never change.</p>
              <ol id="pictures" class="grid" aria-labelledby="pictures-title"></ol>
            </div>
            """;
        return PageLayout.Render(http, options.Value, "Sequence", body, 200, "pages.js", "sequence.js");
    }

    internal static IResult MyReports(HttpContext http, IOptions<PanoramaxOptions> options) =>
        Reports(http, options.Value, "My reports", "mine", "Reports about your pictures and reports you sent", "Sent by / about");

    internal static IResult AdminReports(HttpContext http, IOptions<PanoramaxOptions> options)
    {
        return PageLayout.RefuseNonAdmin(http, options.Value, "Reports queue",
                """<p class="error">Only administrators (the moderators of this instance) can see the reports queue.</p><p>Reports about your own pictures are in <a href="/my/reports">My reports</a>.</p>""")
            ?? Reports(http, options.Value, "Reports queue", "admin", "Reports sent to this instance, newest first", "Take down");
    }

    private static IResult Reports(HttpContext http, PanoramaxOptions o, string title, string mode, string caption, string extraColumn)
    {
        // "my reports" has its extra column third (who sent it), the queue last (the takedown).
        var mine = mode == "mine";
        var body = $"""
            <div id="reports-page" data-mode="{mode}" data-account="{http.Account()!.Id}">
              <p><label><input type="checkbox" id="show-closed"> Show closed reports too</label></p>
              <p id="status" class="status" role="status"></p>
              <p id="count" aria-live="polite"></p>
              <table id="reports-table" hidden>
                <caption class="visually-hidden">{PageLayout.E(caption)}</caption>
                <thead><tr>
                  <th scope="col">Sent</th><th scope="col">Issue</th>{(mine ? $"<th scope=\"col\">{extraColumn}</th>" : "")}<th scope="col">About</th>
                  <th scope="col">Comment</th><th scope="col">Answer</th><th scope="col">Status</th>{(mine ? "" : $"<th scope=\"col\">{extraColumn}</th>")}
                </tr></thead>
                <tbody id="reports"></tbody>
              </table>
              <p id="empty" hidden>No report to show.</p>
            </div>
            """;
        return PageLayout.Render(http, o, title, body, 200, "pages.js", "reports.js");
    }

    /// <summary>"+gpsdate" → "Capture time, oldest first".</summary>
    private static string SortLabel(string key)
    {
        var field = SortFields.GetValueOrDefault(key[1..], key[1..]);
        var ascending = key[0] == '+';
        var order = field == "file name" ? (ascending ? "A to Z" : "Z to A") : (ascending ? "oldest first" : "newest first");
        return $"{char.ToUpperInvariant(field[0])}{field[1..]}, {order}";
    }
}
