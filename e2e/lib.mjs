// Shared by the browser tests: one chromium per test file, a fresh context
// per test, sign-in, screenshots, and a watch on the console and the
// network that fails a test on any error it did not expect (a Content
// Security Policy violation is a console error too).
//
// The tests run against a bankfeed that TestBrowser (internal/cli) starts:
//   BANKFEED_URL        the web interface, as http://127.0.0.1:PORT/
//   BANKFEED_PASSWORD   the password of the users demo (admin) and viewer
//   BANKFEED_ARTIFACTS  where screenshots go
//   CHROMIUM            the chromium to drive (default /usr/bin/chromium)
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const BASE = (process.env.BANKFEED_URL || "http://127.0.0.1:8080/").replace(/\/+$/, "");
export const PASSWORD = process.env.BANKFEED_PASSWORD || "";
export const ARTIFACTS = process.env.BANKFEED_ARTIFACTS || "artifacts/browser";

export const DESKTOP = { name: "desktop", width: 1280, height: 800 };
export const PHONE = { name: "phone", width: 390, height: 844 };
export const VIEWPORTS = [DESKTOP, PHONE];

let browserPromise;

// browser launches chromium once per file; it closes when the file's
// tests are done.
export function browser() {
  if (!browserPromise) {
    const args = [];
    // Chromium's sandbox does not run as root (containers, CI).
    if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");
    browserPromise = chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args,
    });
  }
  return browserPromise;
}

after(async () => {
  if (browserPromise) await (await browserPromise).close();
});

// url makes a path absolute against the server under test.
export function url(path) {
  return BASE + path;
}

// Session is one browser context and page, watched for errors.
export class Session {
  constructor(context, page, viewport) {
    this.context = context;
    this.page = page;
    this.viewport = viewport;
    this.problems = [];
    this.allowed = [];
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const where = msg.location() && msg.location().url;
      this.problem("console error: " + msg.text() + (where ? " (" + where + ")" : ""));
    });
    page.on("pageerror", (err) => this.problem("uncaught: " + err.message));
    page.on("requestfailed", (req) => {
      const why = req.failure() ? req.failure().errorText : "failed";
      // Leaving a page cuts its event stream and pending loads short.
      if (why === "net::ERR_ABORTED") return;
      this.problem(`request failed: ${req.method()} ${req.url()}: ${why}`);
    });
    page.on("response", (res) => {
      if (res.status() >= 400) this.problem(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    });
  }

  problem(text) {
    if (this.allowed.some((re) => re.test(text))) return;
    this.problems.push(text);
  }

  // allow lets problems matching re pass, for a test that provokes them.
  allow(re) {
    this.allowed.push(re);
  }

  // shot saves a screenshot of the whole page as NAME-VIEWPORT.png.
  async shot(name) {
    return screenshot(this.page, `${name}-${this.viewport.name}`);
  }
}

// screenshot saves a full-page PNG under BANKFEED_ARTIFACTS.
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name.replace(/[^A-Za-z0-9._-]+/g, "_") + ".png");
  await page.screenshot({ path, fullPage: true });
  return path;
}

// open makes a new context and page at viewport (DESKTOP by default),
// signed in as user when one is given, on the page start.
export async function open(viewport = DESKTOP, user, start = "/") {
  const b = await browser();
  const context = await b.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    isMobile: viewport === PHONE,
    hasTouch: viewport === PHONE,
    locale: "en-US",
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const s = new Session(context, page, viewport);
  if (user) await login(page, user, start);
  return s;
}

// login signs in through the login page, going on to next.
export async function login(page, user, next = "/", password = PASSWORD) {
  await page.goto(url("/login?next=" + encodeURIComponent(next)));
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith("/login")),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
}

// browserTest is a test with a session: fn(session, t), signed in as
// opts.user (when set) on opts.start (default /); opts.todo marks a test of
// what does not work yet (it runs, and its failure fails nothing). It saves a
// screenshot when the test fails, and fails the test on any console error
// or failed request the test did not allow.
export function browserTest(name, opts, fn) {
  if (typeof opts === "function") {
    fn = opts;
    opts = {};
  }
  const viewport = opts.viewport || DESKTOP;
  test(`${name} (${viewport.name})`, { todo: opts.todo }, async (t) => {
    const s = await open(viewport, opts.user, opts.start);
    try {
      await fn(s, t);
    } catch (err) {
      await s.shot("FAILED-" + name).catch(() => {});
      for (const p of s.problems) t.diagnostic(p);
      throw err;
    } finally {
      await s.context.close();
    }
    assert.deepEqual(s.problems, [], "console errors or failed requests");
  });
}

// noHorizontalOverflow asserts that the page is no wider than the window.
export async function noHorizontalOverflow(page, what) {
  const { scroll, inner, culprits } = await page.evaluate(() => {
    const inner = window.innerWidth;
    const culprits = [];
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.right > inner + 1 && r.width > 0) {
        culprits.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
          (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
          ` (right ${Math.round(r.right)})`);
      }
    }
    return { scroll: document.documentElement.scrollWidth, inner, culprits: culprits.slice(0, 8) };
  });
  assert.ok(scroll <= inner + 1, `${what}: the page is ${scroll} px wide in a ${inner} px window; too wide: ${culprits.join(", ")}`);
}

// fixture is the path of a file in e2e/fixtures.
export function fixture(name) {
  return fileURLToPath(new URL("fixtures/" + name, import.meta.url));
}

// api calls the JSON API with the page's cookies (as a script would, not
// through the page) and returns the response.
export async function api(page, method, path, data) {
  const opts = { method, headers: { Accept: "application/json" }, failOnStatusCode: false };
  if (data !== undefined) opts.data = data;
  return page.request.fetch(url(path), opts);
}

// importFixture uploads a file of e2e/fixtures through the API and returns
// the id of the account of its first statement.
export async function importFixture(page, name) {
  const res = await page.request.post(url("/api/v1/imports"), {
    multipart: { file: { name, mimeType: "application/x-ofx", buffer: readFileSync(fixture(name)) } },
    failOnStatusCode: false,
  });
  const body = await res.json();
  assert.equal(res.status(), 200, `import ${name}: ${JSON.stringify(body)}`);
  return body.files[0].statements[0].account_id;
}
