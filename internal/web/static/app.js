// bankfeed's shared script: the API helper, messages, the menu on small
// screens, and forms marked data-api that send JSON to the API. Page
// scripts (review.js, dashboard.js, ...) build on window.bankfeed.
(function () {
  "use strict";

  // api calls the JSON API with the session cookie; it resolves to the
  // decoded answer and rejects with an Error whose message is the server's.
  async function api(method, path, body) {
    const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined && !(body instanceof FormData)) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    } else if (body instanceof FormData) {
      opts.body = body;
    }
    const res = await fetch(path, opts);
    if (res.status === 204) return null;
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      const msg = data && data.error ? data.error.message : res.status + " " + res.statusText;
      const err = new Error(msg);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // flash shows a message; kind is "ok" or "error".
  function flash(msg, kind) {
    const el = document.getElementById("flash");
    if (!el) return;
    el.textContent = msg;
    el.className = "flash " + (kind || "ok");
    clearTimeout(flash.t);
    flash.t = setTimeout(() => { el.textContent = ""; el.className = ""; }, kind === "error" ? 12000 : 5000);
  }

  // formJSON turns a form's fields into an object: numbers for
  // data-number fields, booleans for checkboxes, arrays for repeated names.
  function formJSON(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.type === "submit") continue;
      let v;
      if (el.type === "checkbox") v = el.checked;
      else if (el.type === "radio") { if (!el.checked) continue; v = el.value; }
      else v = el.value;
      if (el.dataset.number !== undefined && v !== "") v = Number(v);
      if (el.dataset.omitEmpty !== undefined && v === "") continue;
      if (el.dataset.list !== undefined) { (out[el.name] = out[el.name] || []).push(v); continue; }
      out[el.name] = v;
    }
    return out;
  }

  // Forms with data-api="METHOD /api/v1/..." send their fields as JSON;
  // data-then="reload" or a URL says where to go after.
  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    const spec = form.dataset && form.dataset.api;
    if (!spec) return;
    ev.preventDefault();
    const [method, path] = spec.split(" ");
    const btn = form.querySelector("[type=submit]");
    if (btn) btn.disabled = true;
    try {
      const res = await api(method, path, formJSON(form));
      if (form.dataset.ok) flash(form.dataset.ok, "ok");
      const then = form.dataset.then;
      if (then === "reload") location.reload();
      else if (then) location.href = then.replace("{id}", res && res.id);
      form.dispatchEvent(new CustomEvent("api:done", { detail: res, bubbles: true }));
    } catch (e) {
      flash(e.message, "error");
    } finally {
      if (btn) btn.disabled = false;
    }
  });

  // Buttons with data-api="METHOD /path" (and data-body='{"json":1}') call
  // the API and reload (or go to data-then's URL; data-then="stay" stays),
  // after data-confirm when set.
  document.addEventListener("click", async (ev) => {
    const btn = ev.target.closest("button[data-api]");
    if (!btn || btn.form && btn.form.dataset.api) return;
    ev.preventDefault();
    if (btn.dataset.confirm && !confirm(btn.dataset.confirm)) return;
    const [method, path] = btn.dataset.api.split(" ");
    btn.disabled = true;
    try {
      await api(method, path, btn.dataset.body ? JSON.parse(btn.dataset.body) : undefined);
      if (btn.dataset.ok) flash(btn.dataset.ok, "ok");
      const then = btn.dataset.then;
      if (then && then !== "stay") setTimeout(() => { location.href = then; }, btn.dataset.ok ? 400 : 0);
      else if (then !== "stay") setTimeout(() => location.reload(), btn.dataset.ok ? 400 : 0);
    } catch (e) {
      flash(e.message, "error");
    } finally {
      btn.disabled = false;
    }
  });

  // The menu on a narrow screen.
  document.addEventListener("click", (ev) => {
    const t = ev.target.closest(".menu-toggle");
    if (!t) return;
    const nav = document.getElementById("nav");
    const open = nav.classList.toggle("open");
    t.setAttribute("aria-expanded", open ? "true" : "false");
  });

  window.bankfeed = { api, flash, formJSON };
})();
