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
    // The splits' table follows the card: listen on the whole page.
    document.addEventListener("change", async (ev) => {
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

  // --- Reconcile: book a missing opening balance (the equity account is
  // added to the chart first when it is not there) ---
  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button.book-opening");
    if (!b) return;
    const entry = JSON.parse(b.dataset.entry);
    b.disabled = true;
    try {
      try {
        await bf.api("POST", "/api/v1/ledger-accounts", { name: entry.category });
      } catch (e) {
        if (e.status !== 409) throw e;
      }
      const added = await bf.api("POST", "/api/v1/entries", entry);
      bf.flash("Opening balance booked as entry " + added.id, "ok");
      setTimeout(() => location.reload(), 500);
    } catch (e) {
      bf.flash(e.message, "error");
      b.disabled = false;
    }
  });

  // --- Rules: the editor builds a rule from its rows; test, add, edit ---
  const ruleForm = document.getElementById("rule-form");
  function ruleOf(form) {
    const r = {
      name: form.elements.name.value.trim(),
      stage: form.elements.stage.value,
      match: form.elements.match.value,
      priority: Number(form.elements.priority.value || 0),
      enabled: form.elements.enabled.checked,
      conditions: [],
      actions: [],
    };
    for (const row of form.querySelectorAll(".rule-cond")) {
      const v = row.querySelector(".c-value").value.trim();
      if (!v) continue;
      const op = row.querySelector(".c-op").value;
      const c = { field: row.querySelector(".c-field").value, op };
      if (op === "one_of") c.values = v.split(",").map((x) => x.trim()).filter(Boolean);
      else c.value = v;
      r.conditions.push(c);
    }
    for (const row of form.querySelectorAll(".rule-act")) {
      const set = row.querySelector(".a-set").value;
      const v = row.querySelector(".a-value").value.trim();
      if (!v && set !== "exclude" && set !== "auto_add") continue;
      if (!v) continue;
      r.actions.push({ set, value: v });
    }
    return r;
  }
  function fillForm(form, r) {
    form.dataset.id = r.id || "";
    form.elements.name.value = r.name || "";
    form.elements.stage.value = r.stage || "default";
    form.elements.match.value = r.match || "all";
    form.elements.priority.value = r.priority || 0;
    form.elements.enabled.checked = !!r.enabled;
    const conds = form.querySelectorAll(".rule-cond");
    conds.forEach((row, i) => {
      const c = (r.conditions || [])[i];
      row.querySelector(".c-field").value = c ? c.field : "description";
      row.querySelector(".c-op").value = c ? c.op : "contains";
      row.querySelector(".c-value").value = c ? (c.values ? c.values.join(", ") : c.value || "") : "";
    });
    const acts = form.querySelectorAll(".rule-act");
    acts.forEach((row, i) => {
      const a = (r.actions || [])[i];
      row.querySelector(".a-set").value = a ? a.set : "category";
      row.querySelector(".a-value").value = a ? a.value || (a.splits ? "" : "true") : "";
    });
    document.getElementById("rule-form-title").textContent = r.id ? "Edit rule " + r.id : "Add a rule";
    const save = document.getElementById("rule-save");
    if (save) save.textContent = r.id ? "Save rule " + r.id : "Add rule";
  }
  async function testRule(body) {
    const out = document.getElementById("rule-test-out");
    out.textContent = "Testing…";
    try {
      const res = await bf.api("POST", "/api/v1/rules/test", body);
      out.textContent = "";
      out.appendChild(el("p", "", res.matched + " of the " + res.tested + " newest lines match" + (res.matched > res.lines.length ? " (the first " + res.lines.length + " shown)" : "") + "."));
      const ul = el("ul");
      for (const l of res.lines) ul.appendChild(el("li", "", l.posted_on + "  " + l.amount + "  " + l.text + (l.state ? " [" + l.state + "]" : "") + (l.result ? " → " + l.result : "")));
      out.appendChild(ul);
    } catch (e) {
      out.textContent = "";
      out.appendChild(el("p", "error", e.message));
    }
  }
  if (ruleForm) {
    ruleForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const id = ruleForm.dataset.id;
      try {
        await bf.api(id ? "PUT" : "POST", id ? "/api/v1/rules/" + id : "/api/v1/rules", ruleOf(ruleForm));
        bf.flash(id ? "Rule " + id + " saved; the queue is labelled again" : "Rule added; the queue is labelled again", "ok");
        setTimeout(() => location.reload(), 600);
      } catch (e) {
        bf.flash(e.message, "error");
      }
    });
    ruleForm.addEventListener("reset", () => setTimeout(() => fillForm(ruleForm, { enabled: true }), 0));
    document.getElementById("rule-try").addEventListener("click", () => testRule({ rule: ruleOf(ruleForm) }));
    document.addEventListener("click", (ev) => {
      const row = ev.target.closest("tr[data-rule]");
      if (!row) return;
      if (ev.target.closest(".rule-edit")) {
        fillForm(ruleForm, JSON.parse(row.dataset.rule));
        ruleForm.scrollIntoView({ behavior: "smooth" });
      } else if (ev.target.closest(".rule-test")) {
        testRule({ id: JSON.parse(row.dataset.rule).id });
        document.getElementById("rule-editor").scrollIntoView({ behavior: "smooth" });
      }
    });
  }
})();
