// Every page at 1280×800 and on a 390-wide phone: it loads, the body is no
// wider than the window, and a screenshot of it is kept. On the phone the
// menu folds away behind its toggle, which opens and closes it.
import assert from "node:assert/strict";
import { browserTest, noHorizontalOverflow, open, url, VIEWPORTS, PHONE } from "./lib.mjs";

const pages = [
  ["dashboard", "/"], ["review", "/review"], ["accounts", "/accounts"], ["account", "/accounts/1"],
  ["rules", "/rules"], ["reconcile", "/reconcile"], ["import", "/import"], ["connections", "/connections"],
  ["connection-new", "/connections/new"], ["connection", "/connections/2"], ["runs", "/runs"], ["run", "/runs/1"],
  ["settings", "/settings"], ["audit", "/audit"],
];

for (const viewport of VIEWPORTS) {
  browserTest("every page fits", { viewport, user: "demo" }, async (s) => {
    const { page } = s;
    for (const [name, path] of pages) {
      const res = await page.goto(url(path));
      assert.equal(res.status(), 200, path);
      await page.locator("main h1").first().waitFor();
      await noHorizontalOverflow(page, path);
      await s.shot("page-" + name);
    }
  });

  browserTest("login page fits", { viewport }, async (s) => {
    await s.page.goto(url("/login"));
    await noHorizontalOverflow(s.page, "/login");
  });
}

// Every page links to the icon, and /favicon.ico, which browsers ask for
// by themselves, is there too.
browserTest("favicon", {}, async (s) => {
  const { page } = s;
  await page.goto(url("/login"));
  const href = await page.locator('link[rel="icon"]').getAttribute("href");
  for (const path of [href, "/favicon.ico"]) {
    const res = await page.request.get(url(path));
    assert.equal(res.status(), 200, path);
    assert.equal(res.headers()["content-type"], "image/svg+xml", path);
  }
});

browserTest("phone menu", { viewport: PHONE, user: "demo" }, async (s) => {
  const { page } = s;
  const toggle = page.getByRole("button", { name: "Menu" });
  const nav = page.getByRole("navigation");
  const review = nav.getByRole("link", { name: /^Review/ });
  assert.equal(await toggle.isVisible(), true);
  assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  assert.equal(await review.isVisible(), false, "the menu is folded");
  await s.shot("menu-closed");

  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");
  await review.waitFor();
  await noHorizontalOverflow(page, "the open menu");
  await s.shot("menu-open");
  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  await review.waitFor({ state: "hidden" });

  // A link of the open menu goes where it says.
  await toggle.click();
  await Promise.all([page.waitForURL(/\/review$/), review.click()]);
  // The new page's menu is folded again, with Review marked current.
  assert.equal(await review.isVisible(), false);
  assert.equal(await page.locator('#nav a[href="/review"]').getAttribute("aria-current"), "page");

  // On a wide screen there is no toggle and the menu is always there.
  const wide = await open(undefined, "demo");
  try {
    assert.equal(await wide.page.getByRole("button", { name: "Menu" }).isVisible(), false);
    assert.equal(await wide.page.getByRole("navigation").getByRole("link", { name: /^Review/ }).isVisible(), true);
  } finally {
    await wide.context.close();
  }
});
