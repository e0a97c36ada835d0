// The books pages: statement upload (file input and drag and drop), the
// live difference of a reconciliation, and rule tests.
(function () {
  "use strict";
  const bf = window.bankfeed;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- Import ---
  const drop = document.getElementById("drop");
  const input = document.getElementById("import-files");
  const results = document.getElementById("import-results");

  function showFile(f) {
    const card = el("div", "card books-result" + (f.outcome === "rejected" ? " rejected" : ""));
    card.appendChild(el("h3", "", f.file + (f.outcome === "rejected" ? ": rejected" : "")));
    if (f.outcome === "rejected") {
      let msg = f.error;
      if (f.position) msg += " (line " + f.position.line + ")";
      card.appendChild(el("p", "error", msg));
      card.appendChild(el("p", "muted", "Nothing of this file was imported."));
      return card;
    }
    const c = f.counts;
    card.appendChild(el("p", "", c.new + " new, " + c.duplicate + " duplicate, " + c.skipped + " skipped, " +
      c.collisions + " collisions, " + c.warnings + " warnings"));
    const ul = el("ul");
    for (const st of f.statements || []) {
      const acct = st.account_id ? "account " + st.account_id + " (" + st.kind + " " + st.account_number + (st.account_created ? ", new" : "") + ")" : "no account";
      ul.appendChild(el("li", "", acct + ": " + st.counts.new + " new, " + st.counts.duplicate + " duplicate, " + st.counts.skipped + " skipped" +
        (st.start_on ? ", " + st.start_on + " to " + st.end_on : "")));
    }
    for (const s of f.skipped || []) ul.appendChild(el("li", "muted", "skipped: line " + s.line + (s.fitid ? " FITID " + s.fitid : "") + ": " + s.reason));
    for (const c2 of f.collisions || []) ul.appendChild(el("li", "muted", "collision: line " + c2.line + ": FITID " + c2.fitid + " is " + c2.amount + " here and " + c2.other_amount + " before; both kept"));
    for (const w of f.warnings || []) ul.appendChild(el("li", "muted", "warning: " + w));
    if (f.already_imported) ul.appendChild(el("li", "muted", "this file was imported before (import " + f.already_imported.id + ")"));
    card.appendChild(ul);
    return card;
  }

  async function upload(files) {
    if (!files || !files.length) return;
    const fd = new FormData();
    for (const f of files) fd.append("file", f, f.name);
    results.textContent = "Importing " + files.length + (files.length === 1 ? " file…" : " files…");
    let ans;
    try {
      ans = await bf.api("POST", "/api/v1/imports", fd);
    } catch (e) {
      results.textContent = "";
      results.appendChild(el("p", "error", e.message));
      bf.flash(e.message, "error");
      return;
    }
    results.textContent = "";
    for (const f of ans.files) results.appendChild(showFile(f));
    bf.flash(ans.imported + " imported, " + ans.rejected + " rejected", ans.rejected ? "error" : "ok");
    const link = el("p");
    const a = el("a", "button primary", "Review the new lines");
    a.href = "/review";
    link.appendChild(a);
    results.appendChild(link);
  }

  if (drop && input) {
    input.addEventListener("change", () => { upload(input.files); input.value = ""; });
    ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (ev) => { ev.preventDefault(); drop.classList.add("over"); }));
    ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (ev) => { ev.preventDefault(); drop.classList.remove("over"); }));
    drop.addEventListener("drop", (ev) => upload(ev.dataTransfer.files));
    document.getElementById("import-form").addEventListener("submit", (ev) => { ev.preventDefault(); upload(input.files); });
  }
  // bf.api rejects with the server's message; a 400 upload answer carries
  // the files too, shown through the message.

  // --- Reconciliation: tick and untick splits, the difference live ---
  const rec = document.getElementById("reconciliation");
  if (rec) {
    rec.addEventListener("change", async (ev) => {
      const box = ev.target.closest("input.tick");
      if (!box) return;
      box.disabled = true;
      try {
        const st = await bf.api("POST", "/api/v1/reconciliations/" + rec.dataset.id + "/" + (box.checked ? "tick" : "untick"), { splits: [Number(box.value)] });
        const d = document.getElementById("difference");
        d.textContent = st.difference;
        d.className = st.difference_zero ? "books-diff-zero" : "books-diff-open";
        document.getElementById("cleared").textContent = st.cleared_balance;
        const fin = document.getElementById("finish");
        if (fin) fin.disabled = !st.difference_zero;
      } catch (e) {
        box.checked = !box.checked;
        bf.flash(e.message, "error");
      } finally {
        box.disabled = false;
      }
    });
  }

  // --- Rules: test a rule against the stored lines ---
  document.addEventListener("api:done", (ev) => {
    const form = ev.target;
    if (!form.matches || !form.matches("form.rule-test")) return;
    const out = document.getElementById("rule-test-out");
    const res = ev.detail;
    out.textContent = "";
    out.appendChild(el("p", "", res.matched + " of " + res.tested + " lines would match" + (res.matched > res.lines.length ? " (the first " + res.lines.length + " shown)" : "")));
    const ul = el("ul");
    for (const l of res.lines) ul.appendChild(el("li", "", l.posted_on + " " + l.amount + " " + l.text + (l.result ? " → " + l.result : "")));
    out.appendChild(ul);
  });
})();
