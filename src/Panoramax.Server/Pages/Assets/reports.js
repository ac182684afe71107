// Report tables: "my reports" (GET /api/users/me/reports: reports I sent and reports about my pictures, where I may
// set the status and answer) and the admins' queue (GET /api/reports: any status change, takedown with a reason).
(() => {
  "use strict";
  const P = window.PanoramaxPages;
  const { $, el } = P;
  const page = $("reports-page");
  const me = page.dataset.account;
  const admin = page.dataset.mode === "admin";
  const ALL = ["open", "open_autofix", "waiting", "closed_solved", "closed_ignored"];
  const OWNER = ["waiting", "closed_solved", "closed_ignored"];
  const OPEN = "status IN ('open', 'open_autofix', 'waiting')";

  // What the report is about, opened in the viewer (which shows hidden pictures to their owner and to admins).
  function about(r) {
    if (r.picture_id && r.sequence_id) return el("a", { href: P.viewerUrl(r.sequence_id, r.picture_id) }, `Picture ${r.picture_id.slice(-8)}`);
    if (r.sequence_id) return el("a", { href: P.viewerUrl(r.sequence_id) }, `Sequence ${r.sequence_id.slice(-8)}`);
    return "";
  }

  // A status choice when this caller may change it (admins: any; owners of the picture: waiting or closed).
  function status(r, n) {
    const owner = !admin && r.reporter_account_id !== me;
    const choices = admin ? ALL : owner ? OWNER : null;
    if (!choices) return P.statusLabel(r.status);
    const select = el("select", { "aria-label": `Status of report ${n}` });
    for (const s of new Set([r.status, ...choices])) {
      select.append(el("option", { value: s, selected: s === r.status, disabled: !choices.includes(s) }, P.statusLabel(s)));
    }
    select.addEventListener("change", async () => {
      try {
        await P.api("PATCH", `reports/${r.id}`, { status: select.value });
        r.status = select.value;
        P.say(`Report ${n} is now ${P.statusLabel(select.value)}.`);
      } catch (e) {
        P.say(`Could not change report ${n}: ${e.message}`, true);
        select.value = r.status;
      }
    });
    return select;
  }

  function takedown(r, n) {
    if (!r.picture_id && !r.sequence_id) return "";
    const what = r.picture_id ? "picture" : "sequence";
    const reason = el("input", { type: "text", maxlength: "4000", "aria-label": `Reason for taking down the ${what} of report ${n}`, placeholder: "Reason (kept in the log)" });
    const button = el("button", { type: "button", class: "danger", "aria-label": `Take down the ${what} of report ${n}` }, "Take down");
    button.addEventListener("click", async () => {
      if (!reason.value.trim()) { P.say("Say why the picture is taken down: the reason is kept in the moderation log.", true); reason.focus(); return; }
      button.disabled = true;
      try {
        await P.api("POST", "moderation/takedown", { report_id: r.id, reason: reason.value.trim() });
        P.say(`The ${what} of report ${n} was taken down: only its owner sees it now, and the report is closed.`);
        await load();
      } catch (e) {
        P.say(`Could not take down the ${what}: ${e.message}`, true);
        button.disabled = false;
      }
    });
    return el("span", { class: "actions" }, reason, button);
  }

  function row(r, n) {
    const cells = [
      el("td", null, P.dateTime(r.created_at)),
      el("td", null, P.issueLabel(r.issue)),
      el("td", null, about(r)),
      el("td", null, r.reporter_comments || "", r.reporter_email && admin ? el("br") : null, r.reporter_email && admin ? `(${r.reporter_email})` : null),
      el("td", null, r.resolver_comments || ""),
      el("td", null, status(r, n)),
    ];
    if (admin) cells.push(el("td", null, takedown(r, n)));
    else cells.splice(2, 0, el("td", null, r.reporter_account_id === me ? "Sent by me" : "About my data"));
    return el("tr", { "data-id": r.id }, ...cells);
  }

  const startLoad = P.loads();

  async function load() {
    const stale = startLoad();
    const all = $("show-closed").checked;
    const filter = all ? (admin ? null : `status IN (${ALL.map((s) => `'${s}'`).join(", ")})`) : OPEN;
    const path = (admin ? "reports" : "users/me/reports") + "?limit=1000" + (filter ? "&filter=" + encodeURIComponent(filter) : "");
    const answer = await P.api("GET", path);
    if (stale()) return;
    const list = answer.reports || [];
    $("reports").replaceChildren(...list.map((r, i) => row(r, i + 1)));
    $("reports-table").hidden = list.length === 0;
    $("empty").hidden = list.length !== 0;
    $("count").textContent = `${list.length} report(s).`;
  }

  $("show-closed").addEventListener("change", () => load().catch((e) => P.say(e.message, true)));
  load().catch((e) => P.say(`Could not load the reports: ${e.message}`, true));
})();
