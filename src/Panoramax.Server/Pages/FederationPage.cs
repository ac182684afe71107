using Microsoft.Extensions.Options;
using Panoramax.Auth;
using Panoramax.Federation.Peers;
using Panoramax.Server.Hosting;

namespace Panoramax.Server.Pages;

/// <summary>
/// <c>/admin/federation</c>, the administrators' page of the federation: this instance's identity (what peers pin),
/// its peers with their sync status and the trust actions, the harvested legacy GeoVisio sources, and the licence
/// filter of every origin. Like the other pages it is plain HTML plus one script calling the admin API
/// (<c>/api/admin/federation</c>, <c>/api/admin/peers</c>, <c>/api/admin/sources</c>, <c>/api/admin/origins</c>), which keeps every rule.
/// </summary>
public static class FederationPage
{
    private const string Title = "Federation";

    /// <summary>Maps the page (anonymous visitors go to the login and come back).</summary>
    /// <param name="app">The application.</param>
    public static WebApplication MapFederationPage(this WebApplication app)
    {
        app.MapGet("/admin/federation", Render).WithName("FederationPage").ExcludeFromDescription().RequireLoginWithRedirect();
        return app;
    }

    internal static IResult Render(HttpContext http, IOptions<PanoramaxOptions> options)
    {
        var o = options.Value;
        if (PageLayout.RefuseNonAdmin(http, o, Title,
                """<p class="error">Only administrators of this instance manage its federation peers.</p>""") is { } refused)
        {
            return refused;
        }
        if (http.RequestServices.GetService<PeerAdmin>() is null)
        {
            return PageLayout.Render(http, o, Title,
                """<p>Federation is off on this instance (<code>Panoramax:Federation:Enabled=false</code>): it has no peers.</p>""");
        }
        const string body = """
            <div id="federation-page">
              <p id="status" class="status" role="status"></p>
              <h2 id="identity-title">This instance</h2>
              <p>Peers add this instance by its federation URL. Before confirming, their administrators should check with
                 you that the key they see has this fingerprint.</p>
              <dl id="identity" class="fields" aria-labelledby="identity-title">
                <dt>Name</dt><dd id="identity-name"></dd>
                <dt>Instance id</dt><dd id="identity-id"></dd>
                <dt>Role</dt><dd id="identity-role"></dd>
                <dt>Federation URL</dt><dd id="identity-federation-url"></dd>
                <dt>Public key</dt><dd><code id="identity-key"></code></dd>
                <dt>Key fingerprint</dt><dd><code id="identity-fingerprint"></code></dd>
              </dl>

              <h2 id="peers-title">Peers</h2>
              <form id="add-peer" class="tools">
                <p><label for="peer-url">Federation URL of a new peer</label><br>
                  <input id="peer-url" type="url" required placeholder="http://peer.example.org:5001"></p>
                <p><button type="submit">Add peer</button></p>
              </form>
              <p>A new peer is <em>pending</em> until you confirm it: compare its key fingerprint with what its administrator
                 reads on their own page first. Blocked peers are refused; removing a peer forgets its key and its reconcile reports.
                 Reconcile compares this instance's copy of what a trusted peer serves with the peer's log and repairs what differs
                 (it also runs on a schedule); the last one is shown.</p>
              <table id="peers-table" hidden>
                <caption class="visually-hidden">Peers of this instance, by name</caption>
                <thead><tr>
                  <th scope="col">Name</th><th scope="col">Federation URL</th><th scope="col">Trust</th><th scope="col">Public key</th>
                  <th scope="col">Last sync</th><th scope="col">Lag</th><th scope="col">Last error</th><th scope="col">Rejected entries</th><th scope="col">Last reconcile</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr></thead>
                <tbody id="peers"></tbody>
              </table>
              <p id="peers-empty" hidden>No peer yet: add one by its federation URL.</p>

              <h2 id="sources-title">Legacy GeoVisio sources</h2>
              <p>Instances that speak no federation protocol, harvested over their HTTP API on a schedule: those of the
                 configuration (<code>Panoramax:Aggregator:Sources</code>) and those added here. Removing a source stops its
                 harvest; the pictures already harvested from it stay (a licence filter of none hides them).</p>
              <form id="add-source" class="tools">
                <p><label for="source-url">Root URL of a legacy instance</label><br>
                  <input id="source-url" type="url" required placeholder="https://panoramax.example.org"></p>
                <p><label for="source-name">Name shown for its pictures (optional)</label><br>
                  <input id="source-name" type="text" maxlength="200" placeholder="its host name"></p>
                <p><label for="source-interval">Time between two harvests</label><br>
                  <input id="source-interval" type="text" value="00:05:00" pattern="(\d+\.)?\d{1,2}:\d{2}:\d{2}" title="hh:mm:ss, from 00:01:00 to 7.00:00:00"></p>
                <p><button type="submit">Add source</button></p>
              </form>
              <table id="sources-table" hidden>
                <caption class="visually-hidden">Harvested legacy instances, by name</caption>
                <thead><tr>
                  <th scope="col">Name</th><th scope="col">URL</th><th scope="col">Harvested</th><th scope="col">Last run</th><th scope="col">Last success</th>
                  <th scope="col">Last error</th><th scope="col">Held</th><th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr></thead>
                <tbody id="sources"></tbody>
              </table>
              <p id="sources-empty" hidden>No legacy source is harvested here.</p>

              <h2 id="licenses-title">Licence filters</h2>
              <p>For each instance whose pictures reach this one (peers, instances relayed by them, legacy sources), the licences
                 shown here. Pictures under other licences are kept and still passed on to peers, but nobody sees them on this
                 instance; relaxing the filter shows them again at once. Leave the field empty to accept every licence.</p>
              <table id="licenses-table" hidden>
                <caption class="visually-hidden">Licence filter of each origin, by name</caption>
                <thead><tr>
                  <th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Accepted licences</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr></thead>
                <tbody id="licenses"></tbody>
              </table>
              <p id="licenses-empty" hidden>No other instance is known yet.</p>
            </div>
            """;
        return PageLayout.Render(http, o, Title, body, 200, "pages.js", "federation.js");
    }
}
