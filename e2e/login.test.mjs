// Signing in: a wrong password is refused with a message on the login
// page; the right one lands on the dashboard; signing out ends the session.
import assert from "node:assert/strict";
import { browserTest, url, PASSWORD, VIEWPORTS } from "./lib.mjs";

for (const viewport of VIEWPORTS) {
  browserTest("login", { viewport }, async (s) => {
    const { page } = s;
    await page.goto(url("/review"));
    // Not signed in: the login page, which remembers where we were going.
    await page.waitForURL(/\/login\?next=/);
    await assert.doesNotReject(page.getByRole("heading", { name: "Sign in to bankfeed" }).waitFor());
    await s.shot("login");

    // The refused sign-in answers 4xx, which the console reports.
    s.allow(/HTTP 40[13]: POST .*\/login/);
    s.allow(/console error: Failed to load resource: the server responded with a status of 40[13]/);
    await page.getByLabel("User name").fill("demo");
    await page.getByLabel("Password").fill(PASSWORD + "-wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /password|sign/i);
    assert.equal(await page.getByLabel("User name").inputValue(), "demo", "the name is kept");
    await s.shot("login-refused");

    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/review"),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    await page.goto(url("/"));
    assert.equal(new URL(page.url()).pathname, "/");
    const current = page.locator("#nav a[aria-current=page]");
    assert.equal((await current.innerText()).trim(), "Dashboard");
    assert.match(await page.locator("header .who").innerText(), /demo\s*\(admin\)/);
    await s.shot("dashboard-signed-in");

    // Sign out: back to the login page, and the pages are closed again.
    await Promise.all([page.waitForURL(/\/login/), page.getByRole("button", { name: "Sign out" }).click()]);
    await page.goto(url("/settings"));
    await page.waitForURL(/\/login\?next=%2Fsettings/);
  });
}
