// Importing statement files on /import: by the file chooser and by drag
// and drop; each shows what it added, and the recent imports list it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { browserTest, fixture, url, DESKTOP, PHONE } from "./lib.mjs";

browserTest("import by upload", { viewport: DESKTOP, user: "demo", start: "/import" }, async (s) => {
  const { page } = s;
  await page.getByRole("heading", { name: "Import statements" }).waitFor();
  await s.shot("import");
  const answer = page.waitForResponse((r) => r.url().endsWith("/api/v1/imports") && r.request().method() === "POST");
  await page.getByLabel("Choose files").setInputFiles(fixture("quillfield-checking.ofx"));
  assert.equal((await answer).status(), 200);
  const summary = page.locator("#import-results");
  await summary.getByText("quillfield-checking.ofx").waitFor();
  assert.match(await summary.innerText(), /4 new, 0 duplicate/);
  assert.match(await summary.innerText(), /2026-11-01 to 2026-11-15/);
  await s.shot("import-uploaded");

  // The same file again adds nothing.
  await page.getByLabel("Choose files").setInputFiles(fixture("quillfield-checking.ofx"));
  await summary.getByText(/^0 new, 4 duplicate/).waitFor();

  // The new lines wait For Review.
  await summary.getByRole("link", { name: "Review the new lines" }).click();
  await page.waitForURL(/\/review/);
  await page.getByLabel("Text").fill("LANTERN BOOKSHOP");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/q=LANTERN/);
  assert.equal(await page.locator("#queue").getByText("LANTERN BOOKSHOP", { exact: true }).count(), 2);

  // The recent imports list both.
  await page.goto(url("/import"));
  const rows = page.getByRole("row").filter({ hasText: "quillfield-checking.ofx" });
  assert.equal(await rows.count(), 2);
});

browserTest("import by drag and drop", { viewport: PHONE, user: "demo", start: "/import" }, async (s) => {
  const { page } = s;
  const zone = page.getByText("Drop OFX, QFX or QBO statement files here").locator("..");
  const text = readFileSync(fixture("quillfield-second.ofx"), "utf8");
  const dt = await page.evaluateHandle(({ name, text }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: "application/x-ofx" }));
    return dt;
  }, { name: "quillfield-second.ofx", text });
  await zone.dispatchEvent("dragenter", { dataTransfer: dt });
  await zone.dispatchEvent("dragover", { dataTransfer: dt });
  await s.shot("import-dragover");
  await zone.dispatchEvent("drop", { dataTransfer: dt });
  const summary = page.locator("#import-results");
  await summary.getByText("quillfield-second.ofx").waitFor();
  assert.match(await summary.innerText(), /2 new, 0 duplicate/);
  await s.shot("import-dropped");

  // A file that is not a statement is refused, and says why.
  s.allow(/HTTP 400: POST .*\/api\/v1\/imports/);
  s.allow(/console error: Failed to load resource: the server responded with a status of 400/);
  const bad = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["this is not a bank statement\n"], "notes.txt", { type: "text/plain" }));
    return dt;
  });
  await zone.dispatchEvent("drop", { dataTransfer: bad });
  await summary.locator(".error").first().waitFor();
  assert.match(await summary.innerText(), /notes\.txt/);
  await s.shot("import-refused");
});
