// The review queue: add a line with a category, match one to the entry
// typed for it, exclude one, and undo, once by mouse (on a phone) and once
// by keyboard (j/k, a, m, x, u, ?); each decision shows on the page and in
// the API.
import assert from "node:assert/strict";
import { api, browserTest, importFixture, url, DESKTOP, PHONE } from "./lib.mjs";

// The lines of each statement: one to add, one to match, one to exclude,
// and one left waiting. The two statements name other payees, so that what
// is learned from the decisions on one does not decide the other.
const mouseLines = { add: "MOSS AND FERN FLORIST", match: "HARBORVIEW PARKING", exclude: "NORTHGATE SERVICE FEE", keep: "COPPER KETTLE DINER" };
const keyLines = { add: "WILLOW AND ASH BLOOMS", match: "QUAYSIDE CAR PARK", exclude: "EASTGATE ACCOUNT CHARGE", keep: "BRASS LANTERN GRILL" };

// prepare imports a statement of four lines to decide, in an account of
// its own, and types an entry for its parking line, so that line waits with
// the entry proposed. It returns the account's id.
async function prepare(page, file, lines) {
  const account = await importFixture(page, file);
  const res = await api(page, "POST", "/api/v1/entries", {
    date: "2026-11-04", payee: "Parking", account: String(account), amount: "-15.00", category: "Expenses:Parking",
  });
  assert.equal(res.status(), 201, await res.text());
  // Typing the entry may match the line at once: undone, the line waits
  // For Review with the entry as its proposal.
  for (const it of await queue(page, account, "decided")) {
    if (it.line.name === lines.match) {
      const undo = await api(page, "POST", `/api/v1/review/${it.line_id}/undo`);
      assert.equal(undo.status(), 200, await undo.text());
    }
  }
  const waiting = await queue(page, account, "review");
  assert.deepEqual(waiting.map((it) => it.line.name).sort(), Object.values(lines).sort());
  assert.ok(waiting.find((it) => it.line.name === lines.match).suggestion, "the parking line has its entry proposed");
  return account;
}

// queue lists an account's lines in a state (review or decided).
async function queue(page, account, state) {
  const res = await api(page, "GET", `/api/v1/review?account=${account}&state=${state}`);
  assert.equal(res.status(), 200);
  return (await res.json()).items;
}

// states maps each line's name to its review state.
async function states(page, account) {
  const out = {};
  for (const st of ["review", "decided"]) for (const it of await queue(page, account, st)) out[it.line.name] = it.state;
  return out;
}

// flashed waits for the page's message to match re.
async function flashed(page, re) {
  await page.getByRole("status").filter({ hasText: re }).waitFor();
}

browserTest("review by mouse", { viewport: PHONE, user: "demo" }, async (s) => {
  const { page } = s;
  const account = await prepare(page, "quillfield-review-mouse.ofx", mouseLines);
  await page.goto(url(`/review?account=${account}`));
  const row = (name) => page.locator("#queue").getByRole("row").filter({ hasText: name });
  assert.equal(await page.locator("#queue tbody").getByRole("row").count(), 4);
  await s.shot("review-mouse");

  // Add, with a category typed in.
  await row("MOSS AND FERN FLORIST").getByLabel(/^Category for line/).fill("Expenses:Flowers");
  await row("MOSS AND FERN FLORIST").getByRole("button", { name: "Add" }).click();
  await flashed(page, /added/);
  // Match the proposed entry.
  await row("HARBORVIEW PARKING").getByRole("button", { name: "Match" }).click();
  await flashed(page, /matched/);
  // Exclude.
  await row("NORTHGATE SERVICE FEE").getByRole("button", { name: "Exclude" }).click();
  await flashed(page, /excluded/);
  // The decided rows lose their buttons and say, at once, what became of
  // them, with an Undo; the one left keeps its buttons.
  assert.equal(await row("NORTHGATE SERVICE FEE").getByRole("button", { name: "Exclude" }).isVisible(), false);
  assert.equal(await row("COPPER KETTLE DINER").getByRole("button", { name: "Exclude" }).isVisible(), true);
  assert.match(await row("MOSS AND FERN FLORIST").locator(".q-actions").innerText(), /Added · Expenses:Flowers/);
  assert.match(await row("HARBORVIEW PARKING").locator(".q-actions").innerText(), /Matched to entry \d+/);
  assert.match(await row("NORTHGATE SERVICE FEE").locator(".q-actions").innerText(), /Excluded/);
  for (const name of ["MOSS AND FERN FLORIST", "HARBORVIEW PARKING", "NORTHGATE SERVICE FEE"]) {
    assert.equal(await row(name).getByRole("button", { name: "Undo" }).isVisible(), true, name + " offers Undo");
  }
  // The highlight is on the one open line, and on no decided one.
  assert.deepEqual(await page.locator("#queue tr.q-current .q-name").allInnerTexts(), ["COPPER KETTLE DINER"]);
  await s.shot("review-mouse-decided");
  assert.deepEqual(await states(page, account), {
    "MOSS AND FERN FLORIST": "added", "HARBORVIEW PARKING": "matched", "NORTHGATE SERVICE FEE": "excluded", "COPPER KETTLE DINER": "review",
  });

  // Undo in the row puts its buttons back, without a reload; then exclude
  // it again.
  await page.evaluate(() => { window.notReloaded = true; });
  await row("NORTHGATE SERVICE FEE").getByRole("button", { name: "Undo" }).click();
  await flashed(page, /For Review again/);
  await row("NORTHGATE SERVICE FEE").getByRole("button", { name: "Exclude" }).waitFor();
  assert.equal((await states(page, account))["NORTHGATE SERVICE FEE"], "review");
  await row("NORTHGATE SERVICE FEE").getByRole("button", { name: "Exclude" }).click();
  await row("NORTHGATE SERVICE FEE").getByRole("button", { name: "Undo" }).waitFor();
  assert.equal(await page.evaluate(() => window.notReloaded), true, "the page did not reload");

  // The matched entry's link opens the entry's page, which shows the line.
  await Promise.all([page.waitForURL(/\/entries\/\d+$/), row("HARBORVIEW PARKING").locator(".q-outcome a").click()]);
  await page.getByRole("heading", { level: 1, name: /Entry \d+/ }).waitFor();
  await page.locator("#entry-lines").getByText("HARBORVIEW PARKING").waitFor();
  await s.shot("entry-matched");
  await page.goBack();

  // Undo the exclusion from the recently decided lines.
  await page.reload();
  assert.equal(await page.locator("#queue tbody").getByRole("row").count(), 1);
  const recent = page.locator("#recent").getByRole("row").filter({ hasText: "NORTHGATE SERVICE FEE" });
  await Promise.all([page.waitForEvent("load"), recent.getByRole("button", { name: "Undo" }).click()]);
  await row("NORTHGATE SERVICE FEE").waitFor();
  assert.equal(await page.locator("#queue tbody").getByRole("row").count(), 2);
  assert.equal((await states(page, account))["NORTHGATE SERVICE FEE"], "review");
  await s.shot("review-mouse-undone");
});

browserTest("review by keyboard", { viewport: DESKTOP, user: "demo" }, async (s) => {
  const { page } = s;
  const account = await prepare(page, "quillfield-review-keys.ofx", keyLines);
  await page.goto(url(`/review?account=${account}`));
  const current = () => page.evaluate(() => {
    const r = document.querySelector("tr.q-row.q-current:not(.q-done) .q-name");
    return r ? r.textContent.trim() : null;
  });
  // The first line is current at once; j and k move down and up.
  const names = await page.locator("#queue .q-name").allInnerTexts();
  assert.equal(names.length, 4);
  assert.equal(await current(), names[0]);
  await page.keyboard.press("j");
  assert.equal(await current(), names[1]);
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  assert.equal(await current(), names[1]);
  // go moves to the line named name, by j and k only.
  async function go(name) {
    for (let i = 0; i < 8 && (await current()) !== name; i++) {
      const rows = await page.locator("#queue tr.q-row:not(.q-done) .q-name").allInnerTexts();
      await page.keyboard.press(rows.indexOf(name) > rows.indexOf(await current()) ? "j" : "k");
    }
    assert.equal(await current(), name);
  }

  // a without a category asks for one and puts the cursor there; Enter adds.
  await go("WILLOW AND ASH BLOOMS");
  await page.keyboard.press("a");
  await flashed(page, /give a category first/);
  const cat = page.getByLabel(/^Category for line/).and(page.locator(":focus"));
  await cat.waitFor();
  await page.keyboard.type("Expenses:Gifts");
  await page.keyboard.press("Enter");
  await flashed(page, /added/);
  await page.evaluate(() => document.activeElement && document.activeElement.blur());

  await go("QUAYSIDE CAR PARK");
  await page.keyboard.press("m");
  await flashed(page, /matched/);
  await go("EASTGATE ACCOUNT CHARGE");
  await page.keyboard.press("x");
  await flashed(page, /excluded/);
  // Each decided row says what became of it; the highlight moved on to the
  // open line, and no decided row keeps it.
  const row = (name) => page.locator("#queue").getByRole("row").filter({ hasText: name });
  assert.match(await row("WILLOW AND ASH BLOOMS").locator(".q-actions").innerText(), /Added · Expenses:Gifts/);
  assert.match(await row("QUAYSIDE CAR PARK").locator(".q-actions").innerText(), /Matched to entry \d+/);
  assert.match(await row("EASTGATE ACCOUNT CHARGE").locator(".q-actions").innerText(), /Excluded/);
  assert.deepEqual(await page.locator("#queue tr.q-current .q-name").allInnerTexts(), ["BRASS LANTERN GRILL"]);
  assert.equal(await page.locator("#queue tr.q-done.q-current").count(), 0);
  await s.shot("review-keys-decided");
  assert.deepEqual(await states(page, account), {
    "WILLOW AND ASH BLOOMS": "added", "QUAYSIDE CAR PARK": "matched", "EASTGATE ACCOUNT CHARGE": "excluded", "BRASS LANTERN GRILL": "review",
  });

  // u undoes the last decision (the exclusion), and the row is open again
  // at once, without a reload, with the highlight on it.
  await page.evaluate(() => { window.notReloaded = true; });
  await page.keyboard.press("u");
  await flashed(page, /For Review again/);
  await row("EASTGATE ACCOUNT CHARGE").getByRole("button", { name: "Exclude" }).waitFor();
  assert.equal((await states(page, account))["EASTGATE ACCOUNT CHARGE"], "review");
  assert.equal(await current(), "EASTGATE ACCOUNT CHARGE");
  assert.equal(await page.evaluate(() => window.notReloaded), true, "the page did not reload");

  // ? shows the keys.
  await page.keyboard.press("?");
  const keys = page.getByRole("dialog", { name: "Keyboard" });
  await keys.waitFor();
  await s.shot("review-keys-help");
  await page.keyboard.press("Escape");
  await keys.waitFor({ state: "hidden" });

  // A bulk action shows in its rows at once too.
  page.once("dialog", (d) => d.accept());
  await page.locator("#select-all").check();
  await page.getByRole("button", { name: "Exclude selected" }).click();
  await flashed(page, /2 lines excluded/);
  for (const name of ["EASTGATE ACCOUNT CHARGE", "BRASS LANTERN GRILL"]) {
    assert.match(await row(name).locator(".q-actions").innerText(), /Excluded/, name);
    assert.equal(await row(name).getByRole("button", { name: "Undo" }).isVisible(), true, name + " offers Undo");
  }
  assert.equal(await page.locator("#queue tr.q-current").count(), 0, "no decided row keeps the highlight");
  assert.equal(await page.evaluate(() => window.notReloaded), true, "the page did not reload");
  assert.deepEqual(await states(page, account), {
    "WILLOW AND ASH BLOOMS": "added", "QUAYSIDE CAR PARK": "matched", "EASTGATE ACCOUNT CHARGE": "excluded", "BRASS LANTERN GRILL": "excluded",
  });
  await s.shot("review-keys-bulk");
});

// A payee's third agreeing add teaches a learned rule, which adds the
// payee's fourth line still waiting at once: its row says so without a
// reload, and another payee's line keeps waiting.
browserTest("a rule learned while reviewing decides the waiting lines", { viewport: DESKTOP, user: "demo" }, async (s) => {
  const { page } = s;
  const account = await importFixture(page, "quillfield-learn.ofx");
  await page.goto(url(`/review?account=${account}`));
  const coffee = page.locator("#queue tr.q-row").filter({ hasText: "LARKSPUR COFFEE ROASTERS" });
  assert.equal(await coffee.count(), 4);
  await page.evaluate(() => { window.notReloaded = true; });
  for (let i = 0; i < 3; i++) {
    await coffee.nth(i).getByLabel(/^Category for line/).fill("Expenses:Coffee");
    await coffee.nth(i).getByRole("button", { name: "Add" }).click();
    await coffee.nth(i).getByRole("button", { name: "Undo" }).waitFor();
  }
  await flashed(page, /decided 1 more line/);
  assert.match(await coffee.nth(3).locator(".q-actions").innerText(), /Added by bankfeed/);
  assert.equal(await coffee.nth(3).getByRole("button", { name: "Add" }).count(), 0);
  const water = page.locator("#queue tr.q-row").filter({ hasText: "MILLRACE WATER UTILITY" });
  assert.equal(await water.getByRole("button", { name: "Add" }).isVisible(), true);
  assert.equal(await page.evaluate(() => window.notReloaded), true, "the page did not reload");
  await s.shot("review-learned");
  const st = await states(page, account);
  assert.equal(st["MILLRACE WATER UTILITY"], "review");
  const res = await api(page, "GET", `/api/v1/review?account=${account}&state=decided`);
  const decided = (await res.json()).items.filter((it) => it.line.name === "LARKSPUR COFFEE ROASTERS");
  assert.equal(decided.length, 4);
  assert.ok(decided.every((it) => it.state === "added"), JSON.stringify(decided.map((it) => it.state)));
});
