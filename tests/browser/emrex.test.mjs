// EMREX across two servers in one browser (issue 19): "fi" (the client, http://127.0.0.1:P) lists
// "nl" (the contact point, http://localhost:Q: another site, so the browser keeps their cookies
// and SameSite rules apart as it would between countries) in its registry. A learner signed in
// at fi fetches results from nl: nl's sign-in (a login link), the choice of results, the answer
// posted back, fi's result page; and once more, cancelling. Every page under its policy.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Depository, launch, newPage, shot } from "./lib.mjs";

let nl, fi, browser;

function setConfig(d, extra) {
  const path = join(d.data, "config.json");
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, "utf8")), ...extra }));
}

function foreign(d) {
  return JSON.parse(d.run("achievements", "--learner-id", d.learnerId, "--json"))
    .filter((r) => (r.origin?.format ?? "").startsWith("elmo"));
}

before(async () => {
  // The same demo learner (name, birth date) is registered on both sides.
  nl = await Depository.start(3, async (d) => {
    d.base = `http://localhost:${d.port}`;
    setConfig(d, { base_url: d.base, emrex_test_hosts: ["localhost", "127.0.0.1"] });
  });
  fi = await Depository.start(3, async (d) => {
    setConfig(d, { base_url: d.base, emrex_test_hosts: ["localhost", "127.0.0.1"] });
    const registry = join(d.tmp, "emreg.json");
    writeFileSync(registry, JSON.stringify({ emps: [{
      url: `${nl.base}/emrex`, acronym: "NL-OOR", countryCode: "NL", institutions: [],
      pubKey: readFileSync(join(nl.data, "elmo.crt"), "utf8") }] }));
    d.run("emrex", "registry", "import", registry);
  });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (nl) await nl.stop();
  if (fi) await fi.stop();
});

/* Signed in at fi, the learner picks nl and arrives at nl's sign-in page. */
async function toContactPoint(page) {
  await page.goto(fi.loginLink());
  await page.getByRole("button").first().click();
  await page.waitForURL(`${fi.base}/learner`);
  await page.goto(`${fi.base}/learner/emrex`);
  await shot(page, "emrex-client");
  await page.locator("#emrex-ncp-NL-OOR").click();
  // fi's page posts on to nl by itself; nl has no session of hers yet.
  await page.locator("#emrex-signin").waitFor();
  assert.ok(page.url().startsWith(`${nl.base}/emrex`), page.url());
  await shot(page, "emrex-signin");
  // She signs in at nl (a login link here) and comes back to the choice.
  await page.goto(nl.loginLink().replace("127.0.0.1", "localhost"));
  await page.getByRole("button").first().click();
  await page.locator("#emrex-choose").waitFor();
  assert.match(page.url(), /\/emrex\?r=[0-9a-f]{16}$/);
}

test("the learner's ticked results travel from the contact point to the client", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await newPage(context);
  await toContactPoint(page);
  const boxes = page.locator('#emrex-choose input[type="checkbox"]');
  const total = await boxes.count();
  assert.ok(total >= 3, `only ${total} results to choose from`);
  // Nothing is ticked for her; she sends the first two.
  for (let i = 0; i < total; i++) assert.equal(await boxes.nth(i).isChecked(), false);
  for (let i = 0; i < 2; i++) await boxes.nth(i).check();
  const kept = [await boxes.nth(0).locator("xpath=..").locator("span").textContent(),
    await boxes.nth(1).locator("xpath=..").locator("span").textContent()];
  await shot(page, "emrex-choose");
  await page.locator("#emrex-send").click();
  // nl's answer page posts the document back to fi by itself.
  await page.locator("#emrex-imported").waitFor();
  assert.ok(page.url().startsWith(`${fi.base}/learner/emrex/return`), page.url());
  await shot(page, "emrex-imported");
  assert.match(await page.locator("#emrex-imported").textContent(), /new results kept: 2\b/);
  assert.deepEqual(foreign(fi).map((r) => r.title).sort(), kept.sort());
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("cancelling at the contact point brings the learner back with nothing kept", async () => {
  const before = foreign(fi).length;
  const context = await browser.newContext({ locale: "nl-NL" });
  const page = await newPage(context);
  await toContactPoint(page);
  await page.locator("#emrex-cancel").click();
  await page.locator("#emrex-nothing").waitFor();
  assert.match(await page.locator("#emrex-nothing").textContent(), /NCP_CANCEL/);
  assert.equal(foreign(fi).length, before);
  assert.deepEqual(page.problems, []);
  await context.close();
});
