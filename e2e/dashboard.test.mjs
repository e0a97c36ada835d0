// The dashboard of the demo: its bank in maintenance and its bank that
// wants terms accepted each have a card that says what happened, that the
// data is safe, what to do and when the next attempt is; the healthy bank's
// feeds are fine. The card's failed run opens the run.
import assert from "node:assert/strict";
import { browserTest, VIEWPORTS } from "./lib.mjs";

for (const viewport of VIEWPORTS) {
  browserTest("dashboard cards", { viewport, user: "demo" }, async (s) => {
    const { page } = s;
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.getByRole("heading", { name: "Needs attention" }).waitFor();
    const cards = page.getByRole("article");
    assert.equal(await cards.count(), 2, "two cards: maintenance and terms");

    const harbor = cards.filter({ hasText: "maintenance" });
    assert.equal(await harbor.count(), 1);
    const h = await harbor.innerText();
    assert.match(h, /harbor/i);
    assert.match(h, /waiting for bank/);
    assert.match(h, /the bank is down for maintenance/);
    assert.match(h, /Your data is safe: \d+ lines/);
    assert.match(h, /nothing: bankfeed waits and tries again/);
    assert.match(h, /when the bank said it would be back/);
    assert.equal(await harbor.locator(".feeds-safe").count(), 1);

    const summit = cards.filter({ hasText: "Terms and Conditions" });
    assert.equal(await summit.count(), 1);
    const t = await summit.innerText();
    assert.match(t, /summit/i);
    assert.match(t, /needs your action/);
    assert.match(t, /Your data is safe/);
    assert.match(t, /not by itself: it waits for you/);
    assert.equal(await summit.getByRole("button", { name: /I fixed it at my bank/ }).count(), 1);
    // The one that needs a person comes first.
    assert.match(await cards.first().innerText(), /needs your action/);

    // The healthy bank's feeds are fine, listed below.
    await page.getByRole("heading", { name: "Feeds" }).waitFor();
    const maple = page.locator("section").filter({ has: page.getByRole("link", { name: "maple" }) });
    assert.match(await maple.innerText(), /\bok\b|synced/i);
    await s.shot("dashboard");

    // The maintenance card's failed run shows what the bank answered.
    await harbor.getByRole("link", { name: "The failed run" }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    assert.match(await page.locator("main").innerText(), /maintenance|503/i);
    await s.shot("run-failed");
  });
}
