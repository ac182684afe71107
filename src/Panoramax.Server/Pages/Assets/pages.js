// Helpers shared by the pages for people (my sequences, a sequence, my reports, reports queue).
// They call the JSON API with the session cookie (same origin, as the authentication middleware requires).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);

  // One API call; a non-2xx answer throws an Error carrying the API's message and the HTTP status.
  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const r = await fetch("/api/" + path, init);
    let json = null;
    if (r.status !== 204) { try { json = await r.json(); } catch { /* empty or not JSON */ } }
    if (!r.ok) {
      const e = new Error((json && json.message) || `${r.status} ${r.statusText}`);
      e.status = r.status;
      throw e;
    }
    return json;
  }

  // An element with text (never HTML: titles and comments come from people) and attributes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // The page's live status line (role=status): what just happened, or what went wrong.
  function say(text, isError) {
    const s = $("status");
    s.textContent = text;
    s.classList.toggle("error", !!isError);
  }

  const date = (iso) => (iso ? new Date(iso).toLocaleDateString() : "");
  const dateTime = (iso) => (iso ? new Date(iso).toLocaleString() : "");
  const viewerUrl = (seq, pic) => (pic ? `/?pic=${encodeURIComponent(pic)}&seq=${encodeURIComponent(seq)}` : `/?seq=${encodeURIComponent(seq)}`);
  const visibilityLabels = { anyone: "Anyone", "logged-only": "Logged-in people", "owner-only": "Only me (hidden)" };
  const visibilityLabel = (v) => visibilityLabels[v] || v;
  const issueLabel = (i) => (i || "").replaceAll("_", " ");
  const statusLabel = (s) => (s || "").replaceAll("_", " ").replaceAll("-", " ");

  // The caller's sequences (child links of /api/users/me/collection), newest first; [] when there is none.
  async function mySequences() {
    try {
      const c = await api("GET", "users/me/collection?limit=10000");
      return (c.links || []).filter((l) => l.rel === "child");
    } catch (e) {
      if (e.status === 404) return [];
      throw e;
    }
  }

  // Pages show their list again after each change; a load overtaken by a newer one (slower answer) must not render.
  // Each call starts a load and returns "is it stale?".
  function loads() {
    let current = 0;
    return () => {
      const mine = ++current;
      return () => mine !== current;
    };
  }

  window.PanoramaxPages = { $, api, el, say, date, dateTime, viewerUrl, visibilityLabel, issueLabel, statusLabel, mySequences, loads };
})();
