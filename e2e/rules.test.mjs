// A rule added on /rules: tested on the stored lines first, then added,
// and at once the lines it matches wait For Review with its category.
import assert from "node:assert/strict";
import { api, browserTest, importFixture, url, DESKTOP } from "./lib.mjs";

browserTest("rule applied to the queue", { viewport: DESKTOP, user: "demo" }, async (s) => {
  const { page } = s;
  const account = await importFixture(page, "quillfield-rules.ofx");
  await page.goto(url("/rules"));
  await page.getByRole("heading", { name: "Rules", exact: true }).waitFor();

  const editor = page.locator("#rule-editor");
  await editor.getByRole("textbox", { name: "Name", exact: true }).fill("Brightwave phone bill");
  await editor.getByRole("combobox", { name: /^Stage\b/ }).selectOption("default");
  await editor.getByRole("combobox", { name: /^Field\b/ }).first().selectOption("description");
  await editor.getByRole("combobox", { name: /^Test\b/ }).first().selectOption("contains");
  await editor.getByRole("textbox", { name: "Value", exact: true }).first().fill("BRIGHTWAVE MOBILE");
  await editor.getByRole("combobox", { name: /^Set\b/ }).first().selectOption("category");
  await editor.getByRole("textbox", { name: "To", exact: true }).first().fill("Expenses:Phone");

  // Tested first: the two phone bills match, the aquarium does not.
  await editor.getByRole("button", { name: "Test on recent lines" }).click();
  const out = page.locator("#rule-test-out");
  await out.getByText(/^2 of the \d+ newest lines match/).waitFor();
  assert.match(await out.innerText(), /BRIGHTWAVE MOBILE 0042/);
  assert.doesNotMatch(await out.innerText(), /TIDEPOOL/);
  await s.shot("rules-tested");

  await Promise.all([page.waitForEvent("load"), editor.getByRole("button", { name: "Add rule" }).click()]);
  const rule = page.locator("#rules").getByRole("row").filter({ hasText: "Brightwave phone bill" });
  await rule.waitFor();
  assert.match(await rule.innerText(), /BRIGHTWAVE MOBILE/);
  assert.match(await rule.innerText(), /Expenses:Phone/);
  await s.shot("rules-added");

  // The queue is labelled by it: the phone bills carry its category, either
  // still waiting For Review with it proposed or added with it at once.
  await page.goto(url(`/review?account=${account}`));
  for (const name of ["BRIGHTWAVE MOBILE 0042", "BRIGHTWAVE MOBILE 0043"]) {
    const rows = page.locator("#queue, #recent").getByRole("row").filter({ hasText: name });
    assert.equal(await rows.count(), 1, name);
    assert.match(await rows.innerText(), /Expenses:Phone/, name);
    const waiting = rows.getByLabel(/^Category for line/);
    if (await waiting.count()) assert.equal(await waiting.inputValue(), "Expenses:Phone");
    else assert.match(await rows.innerText(), /added/);
  }
  const aquarium = page.locator("#queue").getByRole("row").filter({ hasText: "TIDEPOOL AQUARIUM" });
  assert.doesNotMatch(await aquarium.innerText(), /Expenses:Phone/);
  await s.shot("rules-queue");
  const cats = {};
  for (const st of ["review", "decided"]) {
    const res = await api(page, "GET", `/api/v1/review?account=${account}&state=${st}`);
    for (const it of (await res.json()).items) cats[it.line.name] = it.category || "";
  }
  assert.deepEqual(cats, { "BRIGHTWAVE MOBILE 0042": "Expenses:Phone", "BRIGHTWAVE MOBILE 0043": "Expenses:Phone", "TIDEPOOL AQUARIUM": "" });
});
