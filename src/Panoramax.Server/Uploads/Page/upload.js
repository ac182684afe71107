// Upload page: drives the upload-set API (POST /api/upload_sets, POST …/files, POST …/complete, GET …/files).
// Resume: the set id is kept in localStorage; files already received (same name and size) are not sent again.
(() => {
  "use strict";
  const api = new URL("api/", document.baseURI).href;
  const STORE = "panoramax-upload";
  const PARALLEL = 3;
  const $ = (id) => document.getElementById(id);
  const maxBytes = Number(document.body.dataset.maxFileBytes || "0");
  let selected = [];
  let state = load();

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "null"); } catch { return null; }
  }
  function save(s) { state = s; if (s) localStorage.setItem(STORE, JSON.stringify(s)); else localStorage.removeItem(STORE); }

  async function call(method, path, body) {
    const init = { method, credentials: "include", headers: {} };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const r = await fetch(api + path, init);
    let json = null;
    try { json = await r.json(); } catch { /* empty body */ }
    return { status: r.status, json };
  }

  function needLogin() {
    $("auth-needed").hidden = false;
    $("login-link").href = api + "auth/login?next_url=" + encodeURIComponent(location.href);
  }

  // Resume: show the unfinished set, if it still exists.
  async function showResume() {
    if (!state) return;
    const r = await call("GET", "upload_sets/" + state.id);
    if (r.status !== 200) { save(null); return; }
    $("resume").hidden = false;
    $("resume-name").textContent = r.json.title;
    $("title").value = r.json.title;
    const s = r.json.items_status || {};
    $("resume-count").textContent = `${r.json.nb_items} accepted, ${s.rejected || 0} rejected so far`;
    if (r.json.completed) watch(state.id);
  }
  $("forget").addEventListener("click", () => { save(null); $("resume").hidden = true; $("title").value = ""; });

  // Selection: file inputs, a folder input, or drag and drop of files and folders.
  function hidden(f) { return (f.name || "").startsWith("."); }
  function setSelection(files) {
    selected = files.filter((f) => !hidden(f));
    selected.sort((a, b) => (a.webkitRelativePath || a.name).localeCompare(b.webkitRelativePath || b.name));
    $("selection").textContent = `${selected.length} file(s) selected, ${(selected.reduce((n, f) => n + f.size, 0) / 1048576).toFixed(1)} MB`;
    if (!$("title").value && selected.length) {
      const first = selected[0].webkitRelativePath || "";
      $("title").value = first.includes("/") ? first.split("/")[0] : "Upload of " + new Date().toISOString().slice(0, 10);
    }
    $("start").disabled = selected.length === 0;
  }
  $("files").addEventListener("change", (e) => setSelection([...e.target.files]));
  $("folder").addEventListener("change", (e) => setSelection([...e.target.files]));

  function readEntry(entry) {
    return new Promise((resolve) => {
      if (entry.isFile) { entry.file((f) => resolve([f]), () => resolve([])); return; }
      if (!entry.isDirectory) { resolve([]); return; }
      const reader = entry.createReader();
      const all = [];
      const next = () => reader.readEntries(async (entries) => {
        if (!entries.length) { resolve((await Promise.all(all.map(readEntry))).flat()); return; }
        all.push(...entries);
        next();
      }, () => resolve([]));
      next();
    });
  }
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const items = [...(e.dataTransfer.items || [])];
    const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null)).filter(Boolean);
    const files = entries.length ? (await Promise.all(entries.map(readEntry))).flat() : [...e.dataTransfer.files];
    setSelection(files);
  });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); } });

  // Progress display.
  let totalBytes = 0;
  const doneBytes = new Map();
  function overall() {
    const done = [...doneBytes.values()].reduce((a, b) => a + b, 0);
    $("overall").value = totalBytes ? done / totalBytes : 1;
    $("overall-text").textContent = `${Math.round(100 * (totalBytes ? done / totalBytes : 1))} %`;
  }
  function row(file) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.webkitRelativePath || file.name;
    const bar = document.createElement("progress");
    bar.max = 1; bar.value = 0;
    bar.setAttribute("aria-label", "Progress of " + file.name);
    const status = document.createElement("span");
    status.className = "state";
    status.textContent = "waiting";
    li.append(name, bar, status);
    $("file-list").append(li);
    return { li, bar, status };
  }
  function rejected(name, reason, message) {
    const li = document.createElement("li");
    li.className = "rejected";
    li.textContent = `${name}: ${reason} – ${message}`;
    $("rejected-list").append(li);
  }

  function send(setId, file, ui) {
    return new Promise((resolve) => {
      const form = new FormData();
      form.append("file", file, file.name);
      if ($("blurred").checked) form.append("isBlurred", "true");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", api + "upload_sets/" + setId + "/files");
      xhr.withCredentials = true;
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) { ui.bar.value = e.loaded / e.total; doneBytes.set(file, file.size * e.loaded / e.total); overall(); }
      };
      xhr.onloadend = () => {
        let json = null;
        try { json = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        ui.bar.value = 1; doneBytes.set(file, file.size); overall();
        if (xhr.status === 202) { ui.status.textContent = "accepted"; ui.li.className = "accepted"; }
        else if (xhr.status === 409 && json && json.existing_item) { ui.status.textContent = "already sent"; ui.li.className = "skipped"; }
        else if (xhr.status === 401) { ui.status.textContent = "not logged in"; needLogin(); }
        else {
          const reason = (json && json.rejected && json.rejected.reason) || (xhr.status === 413 ? "too large" : "rejected");
          const message = (json && json.message) || ("HTTP " + xhr.status);
          ui.status.textContent = reason; ui.li.className = "rejected";
          rejected(file.webkitRelativePath || file.name, reason, message);
        }
        resolve();
      };
      xhr.send(form);
    });
  }

  $("upload-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("start").disabled = true;
    $("file-list").textContent = "";
    $("rejected-list").textContent = "";
    $("sent").textContent = "";
    let setId = state && state.id;
    let known = new Map();
    if (setId) {
      const r = await call("GET", "upload_sets/" + setId + "/files");
      if (r.status === 200) {
        for (const f of r.json.files) known.set(f.file_name + "|" + f.size, f);
      } else { setId = null; }
    }
    if (!setId) {
      const r = await call("POST", "upload_sets", { title: $("title").value.trim(), estimated_nb_files: selected.length });
      if (r.status === 401) { needLogin(); $("start").disabled = false; return; }
      if (r.status !== 200) { $("status").textContent = "Could not create the upload: " + ((r.json && r.json.message) || r.status); $("start").disabled = false; return; }
      setId = r.json.id;
      save({ id: setId, title: r.json.title });
    }
    totalBytes = selected.reduce((n, f) => n + f.size, 0);
    doneBytes.clear();
    const queue = [];
    for (const file of selected) {
      const ui = row(file);
      const previous = known.get(file.name + "|" + file.size);
      if (previous) {
        ui.bar.value = 1; doneBytes.set(file, file.size);
        if (previous.rejected) {
          ui.status.textContent = previous.rejected.reason; ui.li.className = "rejected";
          rejected(file.webkitRelativePath || file.name, previous.rejected.reason, previous.rejected.message);
        } else { ui.status.textContent = "already sent"; ui.li.className = "skipped"; }
        continue;
      }
      if (maxBytes && file.size > maxBytes) {
        ui.bar.value = 1; doneBytes.set(file, file.size);
        ui.status.textContent = "too large"; ui.li.className = "rejected";
        rejected(file.webkitRelativePath || file.name, "too large", `larger than the ${(maxBytes / 1048576).toFixed(0)} MiB limit`);
        continue;
      }
      queue.push([file, ui]);
    }
    overall();
    const workers = Array.from({ length: PARALLEL }, async () => {
      while (queue.length) { const [file, ui] = queue.shift(); await send(setId, file, ui); }
    });
    await Promise.all(workers);
    await call("POST", "upload_sets/" + setId + "/complete");
    $("sent").textContent = "All files sent. The pictures are being processed…";
    watch(setId);
  });

  let watching = null;
  function watch(setId) {
    if (watching) clearTimeout(watching);
    const tick = async () => {
      const r = await call("GET", "upload_sets/" + setId);
      if (r.status !== 200) return;
      const s = r.json.items_status || {};
      $("status").textContent = r.json.ready
        ? "Done: every picture is processed."
        : `Processing: ${s.prepared || 0} ready, ${(s.preparing || 0) + (s.not_processed || 0)} waiting, ${s.broken || 0} broken, ${s.rejected || 0} rejected.`;
      const list = $("sequence-list");
      list.textContent = "";
      for (const c of r.json.associated_collections || []) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = new URL("./?seq=" + encodeURIComponent(c.id), document.baseURI).href;
        a.textContent = `${c.title} (${c.nb_items} pictures)`;
        li.append(a);
        list.append(li);
      }
      if (r.json.ready) { save(null); return; }
      watching = setTimeout(tick, 3000);
    };
    tick();
  }

  if (document.body.dataset.forceAuth === "true" && !document.cookie.includes("user_id=")) {
    // Auth may be by a session cookie we cannot read: only a refused request shows the login hint.
  }
  showResume();
})();
