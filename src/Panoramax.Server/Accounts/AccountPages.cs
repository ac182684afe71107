using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Panoramax.Auth;
using Panoramax.Auth.OAuth;
using Panoramax.Server.Hosting;
using Panoramax.Server.Pages;

namespace Panoramax.Server.Accounts;

/// <summary>
/// Plain, accessible HTML pages for people: log in, register, log out and "my account" (tokens, linked logins,
/// default visibility and licence). Forms carry antiforgery tokens; the account page's script calls the JSON API
/// with the session cookie (same origin, which the authentication middleware checks on unsafe requests).
/// </summary>
public static class AccountPages
{
    public static WebApplication MapAccountPages(this WebApplication app)
    {
        app.MapGet("/login", Login).ExcludeFromDescription();
        app.MapGet("/register", Register).ExcludeFromDescription();
        app.MapGet("/logout", (string? next_url) => Results.Redirect("/api/auth/logout?next_url=" + Uri.EscapeDataString(next_url ?? "/"))).ExcludeFromDescription();
        app.MapGet("/account", Account).ExcludeFromDescription();
        return app;
    }

    internal static IResult Login(HttpContext http, IAntiforgery antiforgery, IOptions<AuthOptions> auth, IOptions<PanoramaxOptions> options, string? next_url, string? error)
    {
        var o = auth.Value;
        var next = AuthEndpoints.SafeNextUrl(http.Request, next_url) ?? "/";
        var body = ErrorBlock(error);
        if (o.LocalAccounts)
        {
            body += $"""
                <form method="post" action="/api/auth/local/login">
                  {Token(http, antiforgery)}
                  <input type="hidden" name="next_url" value="{E(next)}">
                  <p><label for="name">Name or e-mail</label><br><input id="name" name="name" autocomplete="username" required></p>
                  <p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
                  <p><button type="submit">Log in</button></p>
                </form>
                """;
            if (o.RegistrationIsOpen)
            {
                body += $"""<p>No account yet? <a href="/register?next_url={E(Uri.EscapeDataString(next))}">Create one</a>.</p>""";
            }
        }
        foreach (var (name, display) in ExternalLogins.Providers(o))
        {
            body += $"""<p><a class="button" href="/api/auth/login?provider={E(Uri.EscapeDataString(name))}&amp;next_url={E(Uri.EscapeDataString(next))}">Log in with {E(display)}</a></p>""";
        }
        return Page(http, options.Value, "Log in", body);
    }

    internal static IResult Register(HttpContext http, IAntiforgery antiforgery, IOptions<AuthOptions> auth, IOptions<PanoramaxOptions> options, string? next_url, string? error)
    {
        var o = auth.Value;
        if (!o.LocalAccounts || !o.RegistrationIsOpen)
        {
            return Page(http, options.Value, "Create an account", "<p>Registration is closed on this instance: ask its administrator for an account.</p>", 403);
        }
        var next = AuthEndpoints.SafeNextUrl(http.Request, next_url) ?? "/";
        var body = ErrorBlock(error) + $"""
            <form method="post" action="/api/auth/local/register">
              {Token(http, antiforgery)}
              <input type="hidden" name="next_url" value="{E(next)}">
              <p><label for="name">Name (shown with your pictures)</label><br><input id="name" name="name" autocomplete="username" maxlength="200" required></p>
              <p><label for="email">E-mail (optional, to log in with it)</label><br><input id="email" name="email" type="email" autocomplete="email"></p>
              <p><label for="password">Password (at least {o.MinPasswordLength} characters)</label><br><input id="password" name="password" type="password" autocomplete="new-password" minlength="{o.MinPasswordLength}" required></p>
              <p><button type="submit">Create my account</button></p>
            </form>
            <p>Already registered? <a href="/login?next_url={E(Uri.EscapeDataString(next))}">Log in</a>.</p>
            """;
        return Page(http, options.Value, "Create an account", body);
    }

    internal static IResult Account(HttpContext http, IOptions<PanoramaxOptions> options)
    {
        if (http.Account() is null)
        {
            return Results.Redirect("/login?next_url=%2Faccount");
        }
        const string body = """
            <p id="who" aria-live="polite">Loading…</p>
            <section aria-labelledby="settings-title">
              <h2 id="settings-title">Defaults for new pictures</h2>
              <form id="settings">
                <p><label for="visibility">Who can see them</label><br><select id="visibility" name="default_visibility"></select></p>
                <p><label for="license">Licence (SPDX id, empty for the instance licence)</label><br><input id="license" name="default_license"></p>
                <p><button type="submit">Save</button> <span id="settings-status" role="status"></span></p>
              </form>
            </section>
            <section aria-labelledby="tokens-title">
              <h2 id="tokens-title">API tokens</h2>
              <p>Tokens let programs (the upload command line, scripts) act as you. A token is shown only once, when made.</p>
              <form id="new-token">
                <p><label for="token-description">Description</label><br><input id="token-description" name="description" maxlength="1000"></p>
                <p><button type="submit">Create a token</button></p>
              </form>
              <div id="new-token-result" role="status"></div>
              <table>
                <caption>Your tokens</caption>
                <thead><tr><th scope="col">Description</th><th scope="col">Made</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
                <tbody id="tokens"></tbody>
              </table>
            </section>
            <section aria-labelledby="logins-title">
              <h2 id="logins-title">Linked logins</h2>
              <ul id="logins"></ul>
            </section>
            <p><a href="/logout">Log out</a></p>
            <script>
            (() => {
              const api = (path, init = {}) => fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json", "Accept": "application/json" }, ...init })
                .then(async r => { const j = r.status === 204 ? null : await r.json().catch(() => null); if (!r.ok) throw new Error((j && j.message) || r.statusText); return j; });
              const el = id => document.getElementById(id);
              const cell = (row, text) => { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; };
              async function loadMe() {
                const [me, conf] = await Promise.all([api("/api/users/me"), api("/api/configuration")]);
                el("who").textContent = `Logged in as ${me.name}` + (me.permissions.role === "admin" ? " (administrator)" : "");
                const select = el("visibility");
                select.replaceChildren(...conf.visibility.possible_values.map(v => { const o = document.createElement("option"); o.value = v; o.textContent = v; o.selected = v === me.default_visibility; return o; }));
                el("license").value = me.default_license || "";
                const logins = el("logins");
                logins.replaceChildren(...(me.external_logins || []).map(l => { const li = document.createElement("li"); li.textContent = `${l.provider}: ${l.display_name || l.subject}`; return li; }));
                if (!logins.children.length) { const li = document.createElement("li"); li.textContent = "None (this account logs in with its password)."; logins.appendChild(li); }
              }
              async function loadTokens() {
                const tokens = await api("/api/users/me/tokens");
                el("tokens").replaceChildren(...tokens.map(t => {
                  const row = document.createElement("tr");
                  cell(row, t.description || "(no description)");
                  cell(row, new Date(t.generated_at).toLocaleString());
                  const b = document.createElement("button"); b.type = "button"; b.textContent = "Revoke"; b.setAttribute("aria-label", `Revoke token ${t.description || t.id}`);
                  b.addEventListener("click", async () => { await api(`/api/users/me/tokens/${t.id}`, { method: "DELETE" }); el("new-token-result").textContent = "Token revoked."; await loadTokens(); });
                  cell(row, "").appendChild(b);
                  return row;
                }));
              }
              el("settings").addEventListener("submit", async e => {
                e.preventDefault();
                try {
                  await api("/api/users/me", { method: "PATCH", body: JSON.stringify({ default_visibility: el("visibility").value, default_license: el("license").value.trim() || null }) });
                  el("settings-status").textContent = "Saved.";
                } catch (err) { el("settings-status").textContent = err.message; }
              });
              el("new-token").addEventListener("submit", async e => {
                e.preventDefault();
                try {
                  const t = await api("/api/users/me/tokens", { method: "POST", body: JSON.stringify({ description: el("token-description").value }) });
                  const out = el("new-token-result");
                  out.replaceChildren();
                  const p = document.createElement("p"); p.textContent = "Your new token (copy it now, it will not be shown again):"; out.appendChild(p);
                  const code = document.createElement("code"); code.id = "new-token-jwt"; code.textContent = t.jwt_token; out.appendChild(code);
                  await loadTokens();
                } catch (err) { el("new-token-result").textContent = err.message; }
              });
              loadMe().then(loadTokens).catch(err => { el("who").textContent = err.message; });
            })();
            </script>
            """;
        return Page(http, options.Value, "My account", body);
    }

    private static string ErrorBlock(string? error) =>
        string.IsNullOrEmpty(error) ? "" : $"""<p role="alert" class="error">{E(error)}</p>""";

    private static string Token(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return $"""<input type="hidden" name="{E(tokens.FormFieldName)}" value="{E(tokens.RequestToken ?? "")}">""";
    }

    private static string E(string text) => PageLayout.E(text);

    private static IResult Page(HttpContext http, PanoramaxOptions o, string title, string body, int status = 200) =>
        PageLayout.Render(http, o, title, body, status);
}
