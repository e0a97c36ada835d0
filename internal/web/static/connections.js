// The connection pages: the setup form (profile from a known bank, links,
// and the accounts the bank listed), live sync progress, and removal.
(function () {
  "use strict";
  const bf = window.bankfeed;

  // A known bank fills the form with its settings.
  const pick = document.getElementById("feeds-institution");
  if (pick) {
    pick.addEventListener("change", () => {
      const opt = pick.selectedOptions[0];
      if (!opt || !opt.dataset.settings) return;
      let p;
      try { p = JSON.parse(opt.dataset.settings); } catch (e) { return; }
      const form = pick.form;
      for (const k of ["url", "org", "fid", "bank_id", "version", "app_id", "app_ver", "portal_url"]) {
        if (form.elements[k]) form.elements[k].value = p[k] || "";
      }
      if (form.elements.clientuid_required) form.elements.clientuid_required.checked = !!p.clientuid_required;
    });
  }

  function text(id, s) {
    const el = document.getElementById(id);
    if (el) el.textContent = s || "";
    return el;
  }

  function showResult(res) {
    const box = document.getElementById("feeds-connect-result");
    box.hidden = false;
    if (!res.failure_class) {
      text("feeds-connect-title", "Connected " + res.name);
      text("feeds-connect-summary", res.institution + ", user " + res.user_id + ": the bank listed " +
        res.accounts.length + (res.accounts.length === 1 ? " account." : " accounts.") + " The first sync fetches the last 90 days.");
    } else {
      text("feeds-connect-title", res.saved ? "Saved, but the bank did not list the accounts" : "Not connected");
      text("feeds-connect-summary", res.saved ?
        "The connection and its sealed password are saved; the first sync that gets through lists its accounts." :
        "Nothing was saved: no connection, no password.");
    }
    const fail = document.getElementById("feeds-connect-failure");
    fail.hidden = !res.failure_class;
    text("feeds-connect-what", (res.what || "") + (res.failure_class ? " (" + res.failure_class + ")" : ""));
    text("feeds-connect-said", res.bank_said || "—");
    text("feeds-connect-todo", res.what_to_do);
    const table = document.getElementById("feeds-connect-accounts");
    const body = table.tBodies[0];
    body.textContent = "";
    for (const a of res.accounts || []) {
      const tr = body.insertRow();
      const feed = "feed account " + a.account_id + (a.linked ? ", linked as you asked" : "") +
        (a.existing ? ", its history (" + a.lines + " lines) continues" : ", new") +
        (a.enabled ? "" : "; not synced: Direct Connect fetches bank and card statements only");
      [["Bank account", a.number], ["Kind", a.kind + (a.type ? " " + a.type : "")], ["Description", a.desc || "—"], ["Feed", feed]]
        .forEach(([label, v]) => { const td = tr.insertCell(); td.dataset.label = label; td.textContent = v; });
    }
    table.hidden = !(res.accounts && res.accounts.length);
    const next = document.getElementById("feeds-connect-next");
    next.hidden = !res.saved;
    if (res.saved) document.getElementById("feeds-connect-open").href = "/connections/" + res.id;
    box.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  const form = document.getElementById("feeds-connect");
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = form.elements;
      const profile = {};
      for (const k of ["url", "org", "fid", "bank_id", "version", "app_id", "app_ver", "portal_url"]) {
        if (f[k] && f[k].value.trim()) profile[k] = f[k].value.trim();
      }
      if (f.clientuid_required && f.clientuid_required.checked) profile.clientuid_required = true;
      const links = {};
      form.querySelectorAll(".feeds-link").forEach((el) => {
        if (el.value.trim()) links[el.value.trim()] = Number(el.dataset.account);
      });
      const body = { name: f.name.value.trim(), profile, user_id: f.user_id.value.trim(), password: f.password.value };
      if (Object.keys(links).length) body.links = links;
      if (f.institution_name && f.institution_name.value.trim()) body.institution_name = f.institution_name.value.trim();
      const btn = form.querySelector("[type=submit]");
      btn.disabled = true;
      btn.textContent = "Asking the bank…";
      try {
        const res = await bf.api("POST", "/api/v1/connections", body);
        f.password.value = "";
        showResult(res);
      } catch (e) {
        bf.flash(e.message, "error");
      } finally {
        btn.disabled = false;
        btn.textContent = "Connect and list the accounts";
      }
    });
  }

  // Remove, then back to the list.
  document.addEventListener("click", async (ev) => {
    const btn = ev.target.closest("button[data-feeds-remove]");
    if (!btn) return;
    if (btn.dataset.confirm && !confirm(btn.dataset.confirm)) return;
    btn.disabled = true;
    try {
      await bf.api("DELETE", btn.dataset.feedsRemove);
      location.href = "/connections";
    } catch (e) {
      bf.flash(e.message, "error");
      btn.disabled = false;
    }
  });

  // Live progress of this page's connections.
  const marks = document.querySelectorAll("[data-conn-progress]");
  if (marks.length && window.EventSource) {
    const es = new EventSource("/api/v1/events");
    es.addEventListener("sync", (msg) => {
      let e;
      try { e = JSON.parse(msg.data); } catch (x) { return; }
      document.querySelectorAll('[data-conn-progress="' + e.connection_id + '"]').forEach((el) => {
        el.hidden = false;
        el.textContent = e.step === "done" ? "done: " + (e.new_lines || 0) + " new" :
          e.step === "failed" ? "failed: " + (e.failure_class || "error") : e.step + "…";
        if (e.step === "done" || e.step === "failed") setTimeout(() => location.reload(), 1500);
      });
    });
    window.addEventListener("beforeunload", () => es.close());
  }
})();
