// A sequence of mine: its pictures as a grid of thumbnails (hidden ones too: the session cookie shows them to their
// owner), with "cut here" (POST …/cut), "take out" (POST …/remove) and delete per picture, reordering (PATCH sortby)
// and merging another of my sequences into this one (POST …/merge).
(() => {
  "use strict";
  const P = window.PanoramaxPages;
  const { $, el } = P;
  const id = $("sequence").dataset.id;
  let title = "";

  // Links to the sequences a surgery produced, for the status line.
  function produced(answer) {
    return (answer.collections || []).filter((c) => c.id !== id);
  }

  function announce(text, others) {
    const s = $("status");
    s.classList.remove("error");
    s.replaceChildren(text);
    for (const c of others) {
      s.append(" ", el("a", { href: `/my/sequences/${c.id}` }, `Open the new sequence "${c.title}"`), ".");
    }
  }

  // A button that asks first (when there is a question), runs, then shows the sequence again; failures are said.
  function action(text, name, cls, question, run) {
    return el("button", {
      type: "button", class: cls, "aria-label": name,
      onclick: async () => {
        if (question && !confirm(question)) return;
        try {
          await run();
          await load();
        } catch (e) { P.say(`Could not ${name.charAt(0).toLowerCase()}${name.slice(1)}: ${e.message}`, true); }
      },
    }, text);
  }

  function picture(f, index, all) {
    const p = f.properties || {};
    const rank = p["geovisio:rank_in_collection"] || index + 1;
    const visibility = p["geovisio:visibility"] || "anyone";
    const hidden = visibility !== "anyone";
    const label = `picture ${rank}`;
    const item = el("li", { class: hidden ? "hidden-picture" : null, "data-id": f.id },
      el("a", { href: P.viewerUrl(id, f.id), "aria-label": `Open ${label} in the viewer` },
        el("img", { src: `/api/pictures/${f.id}/thumb.jpg`, alt: `Picture ${rank}, taken ${P.dateTime(p.datetime)}`, loading: "lazy", width: "250", height: "150" })),
      el("span", null, `${rank}. ${P.dateTime(p.datetime)} `, hidden ? el("span", { class: "badge warn" }, P.visibilityLabel(visibility)) : null,
        p["geovisio:status"] && p["geovisio:status"] !== "ready" ? el("span", { class: "badge" }, P.statusLabel(p["geovisio:status"])) : null));

    const actions = el("span", { class: "actions" });
    if (index > 0) {
      actions.append(action("Cut here", `Cut the sequence before ${label}`, "secondary",
        `Cut "${title}" in two? Picture ${rank} and the ${all.length - index - 1} after it will form a new sequence.`,
        async () => {
          const answer = await P.api("POST", `collections/${id}/cut`, { item_id: f.id });
          announce(`The sequence was cut in two at picture ${rank}.`, produced(answer));
        }));
    }
    if (all.length > 1) {
      actions.append(action("Take out", `Take ${label} out of this sequence`, "secondary", null, async () => {
        const answer = await P.api("POST", `collections/${id}/remove`, { item_ids: [f.id] });
        announce(`Picture ${rank} now forms a sequence of its own.`, produced(answer));
      }));
    }
    actions.append(action("Delete", `Delete ${label}`, "danger", `Delete picture ${rank}? This cannot be undone.`, async () => {
      await P.api("DELETE", `collections/${id}/items/${f.id}`);
      P.say(`Picture ${rank} was deleted.`);
    }));
    item.append(actions);
    return item;
  }

  const startLoad = P.loads();

  async function load() {
    const stale = startLoad();
    const [seq, items] = await Promise.all([P.api("GET", `collections/${id}`), P.api("GET", `collections/${id}/items`)]);
    if (stale()) return;
    title = seq.title || "(untitled)";
    $("page-title").textContent = title;
    document.title = `${title} – ${document.title.split(" – ").pop()}`;
    const features = items.features || [];
    const interval = (seq.extent && seq.extent.temporal && seq.extent.temporal.interval && seq.extent.temporal.interval[0]) || [];
    $("summary").textContent = `${features.length} picture(s), taken ${P.dateTime(interval[0])} – ${P.dateTime(interval[1])}; `
      // The API leaves the status out when it is "ready".
      + `status ${P.statusLabel(seq["geovisio:status"] || "ready")}; visible to: ${P.visibilityLabel(seq["geovisio:visibility"])}.`;
    const sorted = seq["geovisio:sorted-by"];
    if (sorted && [...$("sortby").options].some((o) => o.value === sorted)) $("sortby").value = sorted;
    $("pictures").replaceChildren(...features.map(picture));

    const others = (await P.mySequences()).filter((s) => s.id !== id);
    if (stale()) return;
    // The list is refreshed after every change, maybe while the person is choosing: keep their choice, or the merge
    // would take whichever sequence comes first.
    const picked = $("merge-with").value;
    $("merge-with").replaceChildren(...others.map((s) => el("option", { value: s.id }, `${s.title || "(untitled)"} (${(s["stats:items"] && s["stats:items"].count) || 0} pictures)`)));
    if (others.some((s) => s.id === picked)) $("merge-with").value = picked;
    $("merge").hidden = others.length === 0;
  }

  // A form of the tools bar: run, then show the sequence again; failures are said.
  function onSubmit(form, failure, run) {
    $(form).addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        if (await run() !== false) await load();
      } catch (err) { P.say(`${failure}: ${err.message}`, true); }
    });
  }

  onSubmit("reorder", "Could not reorder", async () => {
    await P.api("PATCH", `collections/${id}`, { sortby: $("sortby").value });
    P.say(`Pictures reordered by ${$("sortby").selectedOptions[0].textContent.toLowerCase()}.`);
  });

  onSubmit("merge", "Could not merge", async () => {
    const other = $("merge-with").selectedOptions[0];
    if (!other || !confirm(`Move every picture of "${other.textContent}" into "${title}"? The other sequence will be gone.`)) return false;
    await P.api("POST", `collections/${id}/merge`, { collection_id: other.value });
    P.say(`${other.textContent} was merged into this sequence.`);
    return true;
  });

  load().catch((e) => P.say(e.status === 404 ? "This sequence does not exist or is not yours." : `Could not load the sequence: ${e.message}`, true));
})();
