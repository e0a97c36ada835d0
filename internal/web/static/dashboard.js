// The dashboard's live view: it listens to /api/v1/events and shows each
// running sync ("fetching…", "importing…", "done: 12 new") next to its
// connection, then reloads the board once the syncs it saw have ended.
(function () {
  "use strict";
  if (!window.EventSource) return;
  const running = new Map(); // connection id -> accounts under way
  let reloadTimer = null;
  const live = document.getElementById("feeds-live");

  function words(ev) {
    switch (ev.step) {
      case "waiting": return "waiting for a slot…";
      case "fetching": return "fetching" + (ev.account ? " " + ev.account : "") + "…";
      case "importing": return "importing" + (ev.account ? " " + ev.account : "") + "…";
      case "done": return "done: " + (ev.new_lines || 0) + " new";
      case "failed": return "failed: " + (ev.failure_class || "error");
      case "skipped": return "skipped" + (ev.why ? ": " + ev.why : "");
    }
    return ev.step;
  }

  function show(ev) {
    document.querySelectorAll('[data-conn-progress="' + ev.connection_id + '"]').forEach((el) => {
      el.hidden = false;
      el.textContent = words(ev);
      el.classList.toggle("failed", ev.step === "failed");
      el.classList.toggle("done", ev.step === "done");
    });
  }

  function track(ev) {
    const key = ev.connection_id + ":" + (ev.account_id || 0);
    let set = running.get(ev.connection_id);
    if (!set) { set = new Set(); running.set(ev.connection_id, set); }
    if (ev.step === "done" || ev.step === "failed" || ev.step === "skipped") {
      set.delete(key);
      if (set.size === 0) running.delete(ev.connection_id);
    } else {
      set.add(key);
    }
    if (live) live.textContent = running.size ? running.size + " syncing" : "";
    clearTimeout(reloadTimer);
    if (running.size === 0) reloadTimer = setTimeout(() => location.reload(), 1500);
  }

  const es = new EventSource("/api/v1/events");
  es.addEventListener("sync", (msg) => {
    let ev;
    try { ev = JSON.parse(msg.data); } catch (e) { return; }
    show(ev);
    track(ev);
  });
  window.addEventListener("beforeunload", () => es.close());
})();
