// "My sequences": the caller's sequences with status, counts and dates; per row a visibility choice
// (PATCH /api/collections/{id}), delete (DELETE, after a confirmation), the viewer and the sequence page.
(() => {
  "use strict";
  const P = window.PanoramaxPages;
  const { $, el } = P;
  let visibilities = ["anyone", "owner-only"];

  function row(s) {
    const title = s.title || "(untitled)";
    const interval = (s.extent && s.extent.temporal && s.extent.temporal.interval && s.extent.temporal.interval[0]) || [];
    const taken = interval[0] ? (P.date(interval[0]) === P.date(interval[1]) ? P.date(interval[0]) : `${P.date(interval[0])} – ${P.date(interval[1])}`) : "";
    const count = (s["stats:items"] && s["stats:items"].count) || 0;
    let visibility = s["geovisio:visibility"] || "anyone";

    const select = el("select", { "aria-label": `Visibility of ${title}`, "data-id": s.id });
    for (const v of new Set([...visibilities, visibility])) {
      select.append(el("option", { value: v, selected: v === visibility }, P.visibilityLabel(v)));
    }
    select.addEventListener("change", async () => {
      select.disabled = true;
      try {
        await P.api("PATCH", `collections/${s.id}`, { visibility: select.value });
        visibility = select.value;
        P.say(`${title} is now visible to: ${P.visibilityLabel(visibility)}.`);
      } catch (e) {
        P.say(`Could not change the visibility of ${title}: ${e.message}`, true);
        select.value = visibility;
      } finally {
        select.disabled = false;
      }
    });

    const remove = el("button", { type: "button", class: "danger", "aria-label": `Delete ${title}` }, "Delete");
    remove.addEventListener("click", async () => {
      if (!confirm(`Delete the sequence "${title}" and its ${count} picture(s)? This cannot be undone.`)) return;
      try {
        await P.api("DELETE", `collections/${s.id}`);
        P.say(`${title} was deleted.`);
        await load();
      } catch (e) {
        P.say(`Could not delete ${title}: ${e.message}`, true);
      }
    });

    return el("tr", { "data-id": s.id },
      el("td", null, el("a", { href: `/my/sequences/${s.id}` }, title)),
      el("td", null, P.statusLabel(s["geovisio:status"] || "")),
      el("td", null, String(count)),
      el("td", null, taken),
      el("td", null, P.date(s.created)),
      el("td", null, select),
      el("td", null, el("span", { class: "actions" },
        el("a", { href: P.viewerUrl(s.id), "aria-label": `Open ${title} in the viewer` }, "Open in viewer"),
        remove)));
  }

  const startLoad = P.loads();

  async function load() {
    const stale = startLoad();
    const list = await P.mySequences();
    if (stale()) return;
    $("sequences").replaceChildren(...list.map(row));
    $("sequences-table").hidden = list.length === 0;
    $("empty").hidden = list.length !== 0;
    $("count").textContent = `${list.length} sequence(s).`;
  }

  (async () => {
    try {
      const conf = await P.api("GET", "configuration");
      if (conf.visibility && conf.visibility.possible_values) visibilities = conf.visibility.possible_values;
      await load();
    } catch (e) {
      P.say(`Could not load your sequences: ${e.message}`, true);
    }
  })();
})();
