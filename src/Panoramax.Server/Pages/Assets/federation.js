// The administrators' federation page: this instance's identity (GET /api/admin/federation), the peers
// (GET/POST /api/admin/peers with each peer's last reconcile, POST …/{id}/confirm, …/{id}/block and …/{id}/reconcile,
// DELETE …/{id}) and the harvested legacy
// GeoVisio sources (GET/POST /api/admin/sources, POST …/{id}/harvest, DELETE …/{id}) and the licence filter of every origin
// (GET /api/admin/origins, PUT /api/admin/peers/{id}/licenses).
(() => {
  "use strict";
  const P = window.PanoramaxPages;
  const { $, el } = P;

  const trustLabels = { pending: "Pending: waiting for your confirmation", trusted: "Trusted", blocked: "Blocked" };
  const never = (iso) => (iso ? P.dateTime(iso) : "never");

  async function loadIdentity() {
    const me = await P.api("GET", "admin/federation");
    $("identity-name").textContent = me.name;
    $("identity-id").textContent = me.instance_id;
    $("identity-role").textContent = me.role;
    $("identity-federation-url").textContent = me.federation_url;
    $("identity-key").textContent = me.public_key;
    $("identity-fingerprint").textContent = me.key_fingerprint;
  }

  // One action button of a peer's row: runs the call, says what happened and reloads the table.
  function action(label, name, run, danger) {
    const button = el("button", { type: "button", class: danger ? "danger" : "secondary", "aria-label": `${label} ${name}` }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const said = await run();
        if (said) { P.say(said); await loadPeers(); }
      } catch (e) {
        P.say(`Could not ${label.toLowerCase()} ${name}: ${e.message}`, true);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  function actions(p) {
    const list = [];
    if (p.trust !== "trusted") {
      list.push(action(p.trust === "blocked" ? "Trust again" : "Confirm", p.name, async () => {
        if (!window.confirm(`Trust ${p.name}? Its key fingerprint is ${p.key_fingerprint}: check it with its administrator first.`)) return null;
        await P.api("POST", `admin/peers/${p.id}/confirm`);
        return `${p.name} is trusted: it syncs now.`;
      }));
    }
    if (p.trust === "trusted") {
      // Reconcile (federation-spec §7.1): compares range digests with the peer and repairs what differs.
      list.push(action("Reconcile", p.name, async () => {
        const r = await P.api("POST", `admin/peers/${p.id}/reconcile`);
        if (r.error) { await loadPeers(); throw new Error(r.error); }
        const unrepairable = r.unrepairable_ranges.length ? `, ${r.unrepairable_ranges.length} ranges not repairable now` : "";
        return `Reconciled with ${p.name}: ${r.ranges_compared} ranges compared, ${r.differing_ranges} differed, ` +
          `${r.entries_fetched} entries fetched, ${r.records_repaired} records repaired${unrepairable}.`;
      }));
    }
    if (p.trust !== "blocked") {
      list.push(action("Block", p.name, async () => {
        await P.api("POST", `admin/peers/${p.id}/block`);
        return `${p.name} is blocked: its calls are refused and it is not synced any more.`;
      }, true));
    }
    list.push(action("Remove", p.name, async () => {
      if (!window.confirm(`Remove ${p.name}? Its key is forgotten; the pictures it already sent stay.`)) return null;
      await P.api("DELETE", `admin/peers/${p.id}`);
      return `${p.name} was removed.`;
    }, true));
    return el("span", { class: "actions" }, ...list);
  }

  // The last reconcile (stored, so it survives restarts): when, and what it repaired or why it failed.
  function reconcileCell(r) {
    if (!r) return el("td", { class: "reconcile" }, "never");
    const when = P.dateTime(r.finished_at);
    if (r.error) return el("td", { class: "reconcile error" }, `${when}: failed: ${r.error}`);
    const unrepairable = r.unrepairable_ranges.length ? `, ${r.unrepairable_ranges.length} ranges not repairable` : "";
    return el("td", { class: "reconcile" },
      `${when}: ok, ${r.records_repaired} records repaired (${r.differing_ranges} of ${r.ranges_compared} ranges differed, ` +
      `${r.entries_fetched} entries fetched${unrepairable})`);
  }

  function peerRow(p) {
    const lag = p.lag_entries > 0 ? `${p.lag_entries} entries, ${p.lag_seconds} s` : p.last_sync_at ? "up to date" : "not synced yet";
    return el("tr", { "data-id": p.id, "data-trust": p.trust },
      el("th", { scope: "row" }, p.name),
      el("td", null, p.federation_url || ""),
      el("td", { class: "trust" }, el("span", { class: p.trust === "trusted" ? "badge" : "badge warn" }, trustLabels[p.trust] || p.trust)),
      el("td", null, el("code", { title: "Ed25519 public key" }, p.public_key), "Fingerprint ", el("code", { class: "fingerprint" }, p.key_fingerprint)),
      el("td", null, never(p.last_sync_at)),
      el("td", { class: "lag" }, lag),
      el("td", { class: p.last_error ? "error" : null }, p.last_error || ""),
      el("td", null, String(p.rejected_entries)),
      reconcileCell(p.last_reconcile),
      el("td", null, actions(p)));
  }

  const startPeers = P.loads();

  async function loadPeers() {
    const stale = startPeers();
    const peers = (await P.api("GET", "admin/peers")).peers || [];
    if (stale()) return;
    $("peers").replaceChildren(...peers.map(peerRow));
    $("peers-table").hidden = peers.length === 0;
    $("peers-empty").hidden = peers.length !== 0;
  }

  const stateLabels = {
    configured: (s) => `every ${s.interval} (configuration)`,
    added: (s) => `every ${s.interval}`,
    removed: () => "no: removed",
    unconfigured: () => "no: not in the configuration any more",
  };

  // One button of a source's row: runs the call and says what happened.
  function sourceAction(label, ariaLabel, s, run, danger) {
    const button = el("button", { type: "button", class: danger ? "danger" : "secondary", "aria-label": ariaLabel }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const said = await run();
        if (said) P.say(said);
      } catch (e) {
        P.say(`Could not ${label.toLowerCase()} (${s.name}): ${e.message}`, true);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  // A source's status, its "harvest now" button, and "remove" for the sources added here.
  function sourceRow(s) {
    const harvested = s.state === "configured" || s.state === "added";
    const buttons = [];
    if (harvested) {
      buttons.push(sourceAction("Harvest now", `Harvest ${s.name} now`, s, async () => {
        await P.api("POST", `admin/sources/${s.id}/harvest`);
        return `The harvest of ${s.name} started: reload the page to see how it went.`;
      }));
    }
    if (s.state === "added") {
      buttons.push(sourceAction("Remove", `Remove ${s.name}`, s, async () => {
        if (!window.confirm(`Stop harvesting ${s.name}? The pictures already harvested from it stay.`)) return null;
        await P.api("DELETE", `admin/sources/${s.id}`);
        await loadSources();
        return `${s.name} is not harvested any more.`;
      }, true));
    }
    return el("tr", { "data-id": s.id, "data-state": s.state },
      el("th", { scope: "row" }, s.name),
      el("td", null, s.url),
      el("td", { class: "state" }, (stateLabels[s.state] || (() => s.state))(s)),
      el("td", null, never(s.last_run_at)),
      el("td", null, never(s.last_success_at)),
      el("td", { class: s.last_error ? "error" : null }, s.last_error ? `${s.last_error} (${P.dateTime(s.last_error_at)})` : ""),
      el("td", null, `${s.collections} sequences, ${s.pictures} pictures`),
      el("td", null, el("span", { class: "actions" }, ...buttons)));
  }

  const startSources = P.loads();

  async function loadSources() {
    const stale = startSources();
    const sources = (await P.api("GET", "admin/sources")).sources || [];
    if (stale()) return;
    $("sources").replaceChildren(...sources.map(sourceRow));
    $("sources-table").hidden = sources.length === 0;
    $("sources-empty").hidden = sources.length !== 0;
  }

  const kindLabels = { peer: "Peer", relayed: "Relayed by a peer", legacy: "Legacy source" };

  // One origin's filter: a comma-separated list of licence ids; empty means every licence.
  function licenseRow(o) {
    const inputId = `licenses-${o.id}`;
    const input = el("input", { id: inputId, type: "text", placeholder: "all licences, e.g. CC0-1.0, CC-BY-SA-4.0",
      value: (o.accepted_licenses || []).join(", ") });
    if (o.accepted_licenses && o.accepted_licenses.length === 0) input.placeholder = "none (every picture hidden)";
    const save = el("button", { type: "button", class: "secondary", "aria-label": `Save the licence filter of ${o.name}` }, "Save");
    save.addEventListener("click", async () => {
      save.disabled = true;
      const list = input.value.split(",").map((x) => x.trim()).filter((x) => x);
      try {
        const r = await P.api("PUT", `admin/peers/${o.id}/licenses`, { accepted_licenses: list.length ? list : null });
        P.say(r.accepted_licenses
          ? `${o.name}: only ${r.accepted_licenses.join(", ")} shown (${r.hidden_sequences} sequences, ${r.hidden_pictures} pictures hidden).`
          : `${o.name}: every licence shown.`);
      } catch (e) {
        P.say(`Could not set the licence filter of ${o.name}: ${e.message}`, true);
      } finally {
        save.disabled = false;
      }
    });
    return el("tr", { "data-id": o.id },
      el("th", { scope: "row" }, o.name),
      el("td", null, kindLabels[o.kind] || o.kind),
      el("td", null, el("label", { for: inputId, class: "visually-hidden" }, `Accepted licences of ${o.name}`), input),
      el("td", null, save));
  }

  const startLicenses = P.loads();

  async function loadLicenses() {
    const stale = startLicenses();
    const origins = (await P.api("GET", "admin/origins")).origins || [];
    if (stale()) return;
    $("licenses").replaceChildren(...origins.map(licenseRow));
    $("licenses-table").hidden = origins.length === 0;
    $("licenses-empty").hidden = origins.length !== 0;
  }

  $("add-peer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("peer-url");
    const button = $("add-peer").querySelector("button");
    button.disabled = true;
    P.say(`Asking ${input.value} who it is…`);
    try {
      const p = await P.api("POST", "admin/peers", { url: input.value.trim() });
      P.say(p.trust === "pending"
        ? `${p.name} answered with key fingerprint ${p.key_fingerprint}: check it with its administrator, then confirm it.`
        : `${p.name} was added (${p.trust}).`);
      input.value = "";
      await loadPeers();
    } catch (err) {
      P.say(`Could not add the peer: ${err.message}`, true);
      input.focus();
    } finally {
      button.disabled = false;
    }
  });

  $("add-source").addEventListener("submit", async (e) => {
    e.preventDefault();
    const url = $("source-url");
    const button = $("add-source").querySelector("button");
    button.disabled = true;
    try {
      const name = $("source-name").value.trim();
      const s = await P.api("POST", "admin/sources", { url: url.value.trim(), name: name || null, interval: $("source-interval").value.trim() });
      P.say(`${s.name} is harvested every ${s.interval}; the first harvest has started.`);
      url.value = "";
      $("source-name").value = "";
      await loadSources();
      await loadLicenses();
    } catch (err) {
      P.say(`Could not add the source: ${err.message}`, true);
      url.focus();
    } finally {
      button.disabled = false;
    }
  });

  loadIdentity().catch((e) => P.say(`Could not load this instance's identity: ${e.message}`, true));
  loadPeers().catch((e) => P.say(`Could not load the peers: ${e.message}`, true));
  loadSources().catch((e) => P.say(`Could not load the legacy sources: ${e.message}`, true));
  loadLicenses().catch((e) => P.say(`Could not load the licence filters: ${e.message}`, true));
})();
