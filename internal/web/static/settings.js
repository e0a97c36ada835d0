// Settings: show a new token once; change a user's role from its select.
(function () {
  "use strict";
  const { api, flash } = window.bankfeed;
  const form = document.getElementById("add-token");
  if (form) form.addEventListener("api:done", (ev) => {
    const box = document.getElementById("new-token");
    box.querySelector("code").textContent = ev.detail.token;
    box.hidden = false;
    form.reset();
  });
  for (const sel of document.querySelectorAll("select.user-role")) {
    sel.addEventListener("change", async () => {
      try {
        await api("PATCH", "/api/v1/users/" + sel.dataset.id, { role: sel.value });
        flash("Role changed to " + sel.value, "ok");
      } catch (e) {
        flash(e.message, "error");
        setTimeout(() => location.reload(), 1500);
      }
    });
  }
})();
