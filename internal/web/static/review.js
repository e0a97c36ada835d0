// The review queue: decide lines by mouse or keyboard (j/k move, a add,
// m match, x exclude, u undo the last decision, ? the keys), and bulk
// actions on the selected lines. A decision shows in its row at once (its
// new state, with Undo), and the keyboard's current line moves on to the
// next open one; nothing reloads the page but an undo of a line it does
// not show.
(function () {
  "use strict";
  const bf = window.bankfeed;
  const table = document.getElementById("queue");
  const undoKey = "bankfeed.review.undo";
  // The decide controls of each line decided on this page, to put back on
  // an undo.
  const controls = new Map();
  let current = -1;

  function rows() {
    return table ? Array.from(table.querySelectorAll("tr.q-row:not(.q-done)")) : [];
  }

  function rowOf(id) {
    return table ? table.querySelector('tr.q-row[data-line="' + id + '"]') : null;
  }

  function select(i, quiet) {
    if (table) table.querySelectorAll("tr.q-current").forEach((r) => r.classList.remove("q-current"));
    const rs = rows();
    if (!rs.length) { current = -1; return; }
    current = Math.max(0, Math.min(i, rs.length - 1));
    rs[current].classList.add("q-current");
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
    const s = undoStack().filter((x) => String(x) !== String(id));
    s.push(id);
    sessionStorage.setItem(undoKey, JSON.stringify(s.slice(-50)));
  }
  function dropUndo(id) {
    sessionStorage.setItem(undoKey, JSON.stringify(undoStack().filter((x) => String(x) !== String(id))));
  }

  function updateBadge(delta) {
    const b = document.getElementById("nav-unreviewed");
    if (b) b.textContent = Math.max(0, Number(b.textContent) + delta);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function entryLink(id) {
    const a = el("a", "", String(id));
    a.href = "/entries/" + id;
    return a;
  }

  // outcome writes what became of a line: "Added · Groceries", "Matched
  // to entry 123", "Excluded".
  function outcome(state, entryID, category) {
    const out = el("span", "q-outcome-text");
    switch (state) {
      case "added":
        out.append("Added" + (category ? " · " + category : ""));
        if (entryID) out.append(" (entry ", entryLink(entryID), ")");
        break;
      case "transfer":
        out.append("Transfer");
        if (entryID) out.append(" · entry ", entryLink(entryID));
        break;
      case "matched":
        out.append("Matched");
        if (entryID) out.append(" to entry ", entryLink(entryID));
        break;
      case "excluded":
        out.append("Excluded");
        break;
      default:
        out.append("For Review");
    }
    return out;
  }

  // showDecided turns an open row into a decided one: its new state and an
  // Undo button where its actions were; the keyboard moves to the next open
  // line.
  function showDecided(row, state, entryID, category) {
    const before = rows().indexOf(row);
    const id = row.dataset.line;
    const cell = row.querySelector(".q-actions");
    if (cell) {
      if (!controls.has(id)) controls.set(id, Array.from(cell.childNodes));
      const box = el("div", "row q-outcome");
      box.append(outcome(state, entryID, category));
      const undo = el("button", "", "Undo");
      undo.type = "button";
      undo.dataset.act = "undo";
      undo.title = "Undo (u)";
      box.append(undo);
      cell.replaceChildren(box);
    }
    row.classList.add("q-done");
    row.classList.remove("q-current");
    row.dataset.state = state === "transfer" ? "added" : state;
    const p = row.querySelector(".q-pick");
    if (p) { p.checked = false; p.disabled = true; }
    // The open line after this one (the last open one at the end) is next.
    if (before >= 0) select(before);
  }

  // showOpen puts a decided row back For Review, with its decide controls.
  function showOpen(row) {
    const id = row.dataset.line;
    const cell = row.querySelector(".q-actions");
    if (cell) {
      if (controls.has(id)) {
        cell.replaceChildren(...controls.get(id));
        controls.delete(id);
      } else {
        cell.replaceChildren(el("span", "state rstate-review", "For Review"));
      }
    }
    row.classList.remove("q-done");
    row.dataset.state = "review";
    const p = row.querySelector(".q-pick");
    if (p) p.disabled = false;
    const i = rows().indexOf(row);
    if (i >= 0) select(i, true);
  }

  // showOthers shows what a decision did to other lines on the page (a
  // rule it taught adding the payee's waiting lines: review.auto_add), and
  // returns how many it decided.
  function showOthers(others) {
    let decided = 0;
    for (const o of others || []) {
      const row = rowOf(String(o.line_id));
      const state = ({ "review.auto_add": "added", "review.auto_match": "matched", "review.auto_replace": "matched",
        "review.auto_exclude": "excluded", "review.auto_transfer": "transfer" })[o.action];
      if (state) {
        decided++;
        if (row && row.dataset.state === "review") {
          showDecided(row, state, 0, "");
          const t = row.querySelector(".q-outcome-text");
          if (t) t.append(" by bankfeed");
          updateBadge(-1);
        }
      } else if (o.action === "review.reopen" && row && row.dataset.state !== "review") {
        showOpen(row);
        updateBadge(1);
      }
    }
    return decided;
  }

  async function decide(row, act) {
    if (!row || row.dataset.state !== "review") return;
    const id = row.dataset.line;
    let body = {};
    let category = "";
    if (act === "add") {
      const cat = row.querySelector(".q-cat");
      category = cat ? cat.value.trim() : "";
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
      const res = await bf.api("POST", "/api/v1/review/" + id + "/" + act, body);
      pushUndo(id);
      const others = showOthers(res.others);
      const state = act === "transfer" ? "transfer" : res.state;
      showDecided(row, state, res.entry && res.entry.id, category);
      updateBadge(act === "transfer" ? -2 : -1);
      bf.flash("Line " + id + ": " + ({ add: "added", match: "matched", exclude: "excluded", transfer: "booked as a transfer" })[act] +
        (others ? "; what it taught decided " + others + " more " + (others === 1 ? "line" : "lines") : ""), "ok");
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
      const res = await bf.api("POST", "/api/v1/review/" + id + "/undo");
      dropUndo(id);
      bf.flash("Line " + id + " is For Review again", "ok");
      showOthers(res && res.others);
      const row = rowOf(id);
      if (row && row.dataset.state !== "review") {
        showOpen(row);
        updateBadge(1);
        countSelected();
      } else {
        // The line is not on this page: show the queue afresh.
        setTimeout(() => location.reload(), 300);
      }
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
    const all = document.getElementById("select-all");
    if (all && !picked().length) all.checked = false;
  }

  async function bulk(action) {
    const lines = picked();
    if (!lines.length) { bf.flash("Select lines first", "error"); return; }
    if (action === "exclude" && !confirm("Exclude " + lines.length + " lines from the books?")) return;
    try {
      const res = await bf.api("POST", "/api/v1/review/bulk", { action, lines });
      for (const r of res.results) {
        const row = rowOf(r.line_id);
        if (!r.ok || !row) continue;
        pushUndo(r.line_id);
        showDecided(row, r.state, r.entry_id, row.dataset.category || "");
      }
      updateBadge(-res.done);
      countSelected();
      const failed = res.results.filter((r) => !r.ok);
      if (failed.length) {
        bf.flash(res.done + " done; " + failed.length + " not: " + failed.map((r) => "line " + r.line_id + ": " + r.error.message).join("; "), "error");
      } else {
        bf.flash(res.done + " lines " + (action === "add" ? "added" : "excluded"), "ok");
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
    if (row && !row.classList.contains("q-done")) select(rows().indexOf(row), true);
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
