// Reconciling an account on /reconcile: while a line waits For Review the
// books differ from the bank, and the page says why; once it is added they
// agree, and a statement reconciliation with the bank's balance locks the
// splits. Unticking and ticking a split shows the difference live.
import assert from "node:assert/strict";
import { api, browserTest, importFixture, url, DESKTOP, PHONE } from "./lib.mjs";

// add adds the lines of an account named in names, each with a category.
async function add(page, account, names) {
  const items = (await (await api(page, "GET", `/api/v1/review?account=${account}`)).json()).items;
  for (const it of items.filter((it) => names.includes(it.line.name))) {
    const res = await api(page, "POST", `/api/v1/review/${it.line_id}/add`, { category: "Expenses:Household" });
    assert.equal(res.status(), 200, await res.text());
  }
}

// ledgerName is the name of the books' account of a feed account.
async function ledgerName(page, account) {
  const chart = await (await api(page, "GET", "/api/v1/ledger-accounts")).json();
  return chart.find((a) => a.feed_account_id === account).name;
}

// start starts a statement reconciliation of the account from its card on
// /reconcile, with the date and balance of the bank's statement.
async function start(page, name) {
  await page.goto(url("/reconcile"));
  const card = page.locator("section.card").filter({ has: page.getByRole("heading", { name, exact: true }) });
  assert.equal(await card.getByLabel("Ending balance").inputValue(), "440.00");
  assert.equal(await card.getByLabel("Statement date").inputValue(), "2026-11-10");
  await Promise.all([page.waitForURL(/\/reconcile\/\d+$/), card.getByRole("button", { name: "Start reconciling" }).click()]);
  await page.getByRole("heading", { name: new RegExp(`^Reconciliation \\d+: ${name}, statement of 2026-11-10`) }).waitFor();
}

browserTest("reconcile an account", { viewport: DESKTOP, user: "demo" }, async (s) => {
  const { page } = s;
  const account = await importFixture(page, "quillfield-reconcile.ofx");
  // The deposit and the hardware store are in the books; the tea house waits.
  await add(page, account, ["OPENING DEPOSIT", "LAMPLIGHT HARDWARE"]);
  const name = await ledgerName(page, account);

  await page.goto(url("/reconcile"));
  const card = page.locator("section.card").filter({ has: page.getByRole("heading", { name, exact: true }) });
  let text = await card.innerText();
  assert.match(text, /Bank\s*440\.00/);
  assert.match(text, /Books \(cleared\)\s*457\.90/);
  assert.match(text, /Difference\s*-?17\.90/);
  assert.match(text, /Likely causes/);
  assert.match(text, /ROSEHIP TEA HOUSE/);
  await s.shot("reconcile-difference");

  await add(page, account, ["ROSEHIP TEA HOUSE"]);
  await page.reload();
  text = await card.innerText();
  assert.match(text, /Difference\s*0\.00/);
  assert.match(text, /The books agree with the bank/);
  await s.shot("reconcile-balanced");

  // The statement's cleared splits come ticked: nothing is left to do but
  // finish.
  await start(page, name);
  const boxes = page.getByRole("checkbox", { name: /^Split \d+/ });
  assert.equal(await boxes.count(), 3);
  for (let i = 0; i < 3; i++) assert.equal(await boxes.nth(i).isChecked(), true);
  assert.equal((await page.locator("#difference").innerText()).trim(), "0.00");
  await s.shot("reconcile-statement");
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Finish" }).click()]);
  await page.getByText(/Locked .*: 3 splits reconciled/).waitFor();
  assert.equal(await boxes.first().isDisabled(), true);
  await s.shot("reconcile-locked");

  await page.goto(url("/reconcile"));
  const row = page.getByRole("row").filter({ hasText: name });
  assert.match(await row.innerText(), /440\.00/);
  assert.doesNotMatch(await row.innerText(), /\bopen\b/);
});

browserTest("reconcile: ticking shows the difference live", {
  viewport: PHONE, user: "demo",
}, async (s) => {
  const { page } = s;
  const account = await importFixture(page, "quillfield-reconcile-ticks.ofx");
  await add(page, account, ["OPENING DEPOSIT", "LAMPLIGHT HARDWARE", "ROSEHIP TEA HOUSE"]);
  const name = await ledgerName(page, account);
  await start(page, name);
  const diff = page.locator("#difference");
  const finish = page.getByRole("button", { name: "Finish" });
  const tea = page.getByRole("row").filter({ hasText: "-17.90" }).getByRole("checkbox");

  // Unticking the tea house opens a difference and holds Finish back. The
  // page updates once it has read the server's answer: wait for what it
  // shows, not for the answer alone.
  await tea.uncheck();
  await page.locator("#difference", { hasText: /17\.90/ }).waitFor({ timeout: 5000 });
  await page.locator("#finish:disabled").waitFor({ timeout: 5000 });
  await s.shot("reconcile-unticked");
  await tea.check();
  await page.locator("#difference", { hasText: /^\s*0\.00\s*$/ }).waitFor({ timeout: 5000 });
  await page.locator("#finish:enabled").waitFor({ timeout: 5000 });
  assert.equal((await diff.innerText()).trim(), "0.00");
  assert.equal(await finish.isEnabled(), true);
  // What the page shows is what the server holds.
  const id = page.url().match(/\/reconcile\/(\d+)$/)[1];
  const st = await (await api(page, "GET", `/api/v1/reconciliations/${id}`)).json();
  assert.equal(String(st.difference), "0.00");
});
