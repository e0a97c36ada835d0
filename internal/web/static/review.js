// The review queue: decide lines by mouse or keyboard (j/k move, a add,
// m match, x exclude, u undo the last decision, ? the keys), and bulk
// actions on the selected lines.
(function () {
  "use strict";
  const bf = window.bankfeed;
  const table = document.getElementById("queue");
  const undoKey = "bankfeed.review.undo";
  let current = -1;

  function rows() {
    return table ? Array.from(table.querySelectorAll("tr.q-row:not(.q-done)")) : [];
  }

  function select(i, quiet) {
    const rs = rows();
    if (!rs.length) return;
    current = Math.max(0, Math.min(i, rs.length - 1));
    rs.forEach((r, j) => r.classList.toggle("q-current", j === current));
    if (!quiet) rs[current].scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    const rs = rows();
    return current >= 0 && current < rs.length ? rs[current] : null;
  }

  // The lines decided on this page, newest last, for u.
  function undoStack() {
    try { return JSON.parse(sessionStorage.getItem(undoKey) || "[]"); } catch (e) { return []; }
  }
  function pushUndo(id) {
    const s = undoStack();
    s.push(id);
    sessionStorage.setItem(undoKey, JSON.stringify(s.slice(-50)));
  }

  function updateBadge(delta) {
    const b = document.getElementById("nav-unreviewed");
    if (b) b.textContent = Math.max(0, Number(b.textContent) + delta);
  }

  async function decide(row, act) {
    if (!row || row.dataset.state !== "review") return;
    const id = row.dataset.line;
    let body = {};
    if (act === "add") {
      const cat = row.querySelector(".q-cat");
      const category = cat ? cat.value.trim() : "";
      if (!category) {
        bf.flash("Line " + id + ": give a category first", "error");
        if (cat) cat.focus();
        return;
      }
      body = { category };
    } else if (act === "match" && !row.dataset.suggestion) {
      bf.flash("Line " + id + ": no entry is suggested", "error");
      return;
    }
    row.classList.add("q-busy");
    try {
      await bf.api("POST", "/api/v1/review/" + id + "/" + act, body);
      pushUndo(id);
      row.classList.add("q-done");
      row.dataset.state = act;
      const p = row.querySelector(".q-pick");
      if (p) { p.checked = false; p.disabled = true; }
      updateBadge(act === "transfer" ? -2 : -1);
      bf.flash("Line " + id + ": " + ({ add: "added", match: "matched", exclude: "excluded", transfer: "booked as a transfer" })[act], "ok");
      select(current);
      countSelected();
    } catch (e) {
      bf.flash(e.message, "error");
    } finally {
      row.classList.remove("q-busy");
    }
  }

  async function undo(id) {
    if (!id) {
      const s = undoStack();
      id = s.pop();
      sessionStorage.setItem(undoKey, JSON.stringify(s));
    }
    if (!id) {
      const r = document.querySelector("#recent tr[data-line]");
      id = r && r.dataset.line;
    }
    if (!id) { bf.flash("Nothing to undo", "error"); return; }
    try {
      await bf.api("POST", "/api/v1/review/" + id + "/undo");
      bf.flash("Line " + id + " is For Review again", "ok");
      setTimeout(() => location.reload(), 300);
    } catch (e) {
      bf.flash(e.message, "error");
    }
  }

  function picked() {
    return Array.from(document.querySelectorAll(".q-pick:checked")).map((c) => Number(c.value));
  }

  function countSelected() {
    const el = document.getElementById("bulk-count");
    if (el) el.textContent = picked().length + " selected";
  }

  async function bulk(action) {
    const lines = picked();
    if (!lines.length) { bf.flash("Select lines first", "error"); return; }
    if (action === "exclude" && !confirm("Exclude " + lines.length + " lines from the books?")) return;
    try {
      const res = await bf.api("POST", "/api/v1/review/bulk", { action, lines });
      const failed = res.results.filter((r) => !r.ok);
      if (failed.length) {
        bf.flash(res.done + " done; " + failed.length + " not: " + failed.map((r) => r.error.message).join("; "), "error");
        setTimeout(() => location.reload(), 4000);
      } else {
        bf.flash(res.done + " lines " + (action === "add" ? "added" : "excluded"), "ok");
        setTimeout(() => location.reload(), 500);
      }
    } catch (e) {
      bf.flash(e.message, "error");
    }
  }

  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-act]");
    if (b) {
      const row = b.closest("tr.q-row");
      if (b.dataset.act === "undo") undo(row.dataset.line);
      else decide(row, b.dataset.act);
      return;
    }
    const bb = ev.target.closest("button[data-bulk]");
    if (bb) { bulk(bb.dataset.bulk); return; }
    if (ev.target.closest("#keys-open")) { document.getElementById("keys").showModal(); return; }
    const row = ev.target.closest("tr.q-row");
    if (row) select(rows().indexOf(row), true);
  });

  document.addEventListener("change", (ev) => {
    if (ev.target.id === "select-all") {
      document.querySelectorAll(".q-pick:not(:disabled)").forEach((c) => { c.checked = ev.target.checked; });
    }
    countSelected();
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t.closest && t.closest("input, select, textarea, dialog[open]")) {
      if (ev.key === "Escape" && t.blur) t.blur();
      if (ev.key === "Enter" && t.classList && t.classList.contains("q-cat")) {
        ev.preventDefault();
        decide(t.closest("tr.q-row"), "add");
      }
      return;
    }
    const editable = table && table.dataset.canEdit === "true";
    switch (ev.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "a": if (editable) decide(currentRow(), "add"); break;
      case "m": if (editable) decide(currentRow(), "match"); break;
      case "x": if (editable) decide(currentRow(), "exclude"); break;
      case "u": if (editable || document.querySelector(".recent-undo")) undo(); break;
      case " ": {
        const r = currentRow();
        const p = r && r.querySelector(".q-pick");
        if (p && !p.disabled) { p.checked = !p.checked; countSelected(); }
        break;
      }
      case "?": document.getElementById("keys").showModal(); break;
      default: return;
    }
    ev.preventDefault();
  });

  if (table && table.dataset.state === "review") select(0, true);
})();
