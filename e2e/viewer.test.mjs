// A viewer reads everything and changes nothing: no page offers them a
// write, the keys of the review queue do nothing, the admin's pages are
// refused, and every write of the API answers 403, whether called by a
// script with their cookie or by a page of the site.
import assert from "node:assert/strict";
import { api, browserTest, url, DESKTOP, PHONE } from "./lib.mjs";

// Pages a viewer may read.
const pages = ["/", "/review", "/accounts", "/accounts/1", "/rules", "/reconcile", "/connections", "/connections/1",
  "/runs", "/runs/1", "/import", "/settings"];

// Writes a viewer may make: their own tokens and password, and a rule's
// test, which changes nothing.
const own = [/^POST \/api\/v1\/tokens$/, /^DELETE \/api\/v1\/tokens\//, /^PUT \/api\/v1\/me\/password$/,
  /^POST \/api\/v1\/rules\/test$/, /^(POST|DELETE) \/api\/v1\/session$/];

// Writes of the API; those the API document lists are added to these.
const writes = [
  "POST /api/v1/review/{line}/add", "POST /api/v1/review/{line}/match", "POST /api/v1/review/{line}/transfer",
  "POST /api/v1/review/{line}/exclude", "POST /api/v1/review/{line}/undo", "POST /api/v1/review/bulk",
  "POST /api/v1/rules", "POST /api/v1/entries", "POST /api/v1/reconciliations", "POST /api/v1/imports",
  "POST /api/v1/connections", "POST /api/v1/connections/{id}/sync", "POST /api/v1/users", "PUT /api/v1/settings",
  "POST /api/v1/deadlines",
];

browserTest("viewer sees no write", { viewport: DESKTOP, user: "viewer" }, async (s) => {
  const { page } = s;
  assert.match(await page.locator("header .who").innerText(), /viewer\s*\(viewer\)/);
  for (const path of pages) {
    const res = await page.goto(url(path));
    assert.equal(res.status(), 200, path);
    // Nothing that calls a write of the API, but the viewer's own.
    const specs = await page.locator("[data-api]").evaluateAll((els) => els.map((e) => e.dataset.api));
    const foreign = specs.filter((sp) => !own.some((re) => re.test(sp)));
    assert.deepEqual(foreign, [], `${path}: write controls shown to a viewer`);
    for (const name of [/^Add$/, /^Exclude$/, /^Match$/, /^Sync now$/, /I fixed it/, /^Add rule$/, /^Start/, /^Add user$/, /^Add deadline$/]) {
      assert.equal(await page.getByRole("button", { name }).count(), 0, `${path}: a button ${name}`);
    }
    assert.equal(await page.locator("input[type=file]").count(), 0, `${path}: an upload`);
    assert.equal(await page.getByRole("link", { name: "Connect a bank" }).count(), 0, `${path}: Connect a bank`);
    if (["/", "/review", "/rules", "/settings", "/import"].includes(path)) await s.shot("viewer" + (path === "/" ? "-dashboard" : path.replaceAll("/", "-")));
  }

  // The review queue's keys decide nothing for a viewer.
  await page.goto(url("/review"));
  const before = (await (await api(page, "GET", "/api/v1/review?limit=1")).json()).items[0];
  const posts = [];
  page.on("request", (r) => { if (r.method() !== "GET") posts.push(r.method() + " " + r.url()); });
  for (const key of ["j", "k", "a", "m", "x", "u"]) await page.keyboard.press(key);
  await page.waitForTimeout(300);
  assert.deepEqual(posts, []);
  const after = (await (await api(page, "GET", "/api/v1/review?limit=1")).json()).items[0];
  assert.equal(after.line_id, before.line_id);
  assert.equal(after.state, "review");

  // The admin's pages are refused.
  s.allow(/HTTP 403: GET .*\/(audit|connections\/new)$/);
  s.allow(/status of 403 \(Forbidden\) \(.*\/(audit|connections\/new)\)$/);
  for (const path of ["/audit", "/connections/new"]) {
    const res = await page.goto(url(path));
    assert.equal(res.status(), 403, path);
    assert.match(await page.getByRole("alert").innerText(), /refused: this needs the (admin|bookkeeper) role, and viewer is a viewer/);
  }
  await s.shot("viewer-refused");
});

browserTest("viewer refused every write of the API", { viewport: PHONE, user: "viewer" }, async (s, t) => {
  const { page } = s;
  const doc = await (await api(page, "GET", "/api/v1/openapi.json")).json();
  const all = new Set(writes);
  for (const [path, ops] of Object.entries(doc.paths || {})) {
    for (const method of Object.keys(ops)) {
      if (["post", "put", "patch", "delete"].includes(method)) all.add(method.toUpperCase() + " " + path);
    }
  }
  const line = (await (await api(page, "GET", "/api/v1/review?limit=1")).json()).items[0].line_id;
  const calls = [...all].filter((spec) => !own.some((re) => re.test(spec.replace(/\{[^}]+\}/g, "1")))).sort();
  assert.ok(calls.length >= writes.length, `${calls.length} writes`);

  // By a script with the viewer's cookie.
  const refused = [];
  for (const spec of calls) {
    const [method, tmpl] = spec.split(" ");
    const path = tmpl.replace("{line}", String(line)).replace("{name}", "payroll").replace(/\{[^}]+\}/g, "1");
    const res = path === "/api/v1/imports"
      ? await page.request.post(url(path), { multipart: { file: { name: "x.ofx", mimeType: "application/x-ofx", buffer: Buffer.from("<OFX>") } }, failOnStatusCode: false })
      : await api(page, method, path, {});
    if (res.status() !== 403) refused.push(`${method} ${path}: ${res.status()} ${await res.text()}`);
  }
  assert.deepEqual(refused, [], "writes not refused with 403");
  t.diagnostic(`${calls.length} writes refused: ${calls.join(", ")}`);

  // By the site's own pages: fetch from a page, same origin, with the cookie.
  s.allow(/status of 403 \(Forbidden\)/);
  s.allow(/HTTP 403: (POST|PUT|PATCH|DELETE) /);
  await page.goto(url("/review"));
  const answers = await page.evaluate(async ({ calls, line }) => {
    const out = [];
    for (const spec of calls) {
      const [method, tmpl] = spec.split(" ");
      const path = tmpl.replace("{line}", String(line)).replace("{name}", "payroll").replace(/\{[^}]+\}/g, "1");
      const res = await fetch(path, { method, headers: { "Content-Type": "application/json", Accept: "application/json" }, body: "{}", credentials: "same-origin" });
      const body = await res.json().catch(() => null);
      out.push({ spec: method + " " + path, status: res.status, code: body && body.error && body.error.code });
    }
    return out;
  }, { calls, line });
  assert.deepEqual(answers.filter((a) => a.status !== 403 || a.code !== "unauthorized"), [], "writes from the page not refused");

  // And nothing changed.
  const it = (await (await api(page, "GET", "/api/v1/review?limit=1")).json()).items[0];
  assert.equal(it.line_id, line);
  assert.equal(it.state, "review");
});
