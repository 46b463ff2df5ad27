// The employer's side in a real browser: the first screen of a share names the holder and each
// result with its verdict; a result the institution revoked says so in its headline, with the
// date; Dutch pages are Dutch with Dutch dates and numbers; the learner cannot pick a revoked
// result for a share; an unknown URL is a page in the site's style. Screenshots at desktop size
// and at 360 px in tests/browser/out/.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Depository, launch, newPage, shot } from "./lib.mjs";

let dep, browser, shareUrl, degree, other;

const MONTHS_NL = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
  "september", "oktober", "november", "december"];
const MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

function words(iso, months) {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return `${d} ${months[m - 1]} ${y}`;
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

before(async () => {
  dep = await Depository.start(5);
  browser = await launch();
  // A degree (credits and a grade) and one more result of the same learner, shared together.
  degree = dep.achievements.find((a) => a.kind === "degree" || a.kind === "diploma");
  other = dep.achievements.find((a) => a.id !== degree.id);
  const out = dep.run("share", "create", "--learner-id", dep.learnerId, "--achievements",
    `${degree.id},${other.id}`, "--to", "Werkgever BV", "--days", "30");
  shareUrl = out.match(/https?:\/\/\S+\/s\/[A-Za-z0-9_-]{43}/)[0];
});

after(async () => {
  if (browser) await browser.close();
  if (dep) await dep.stop();
});

test("the employer's first screen names the holder, then each result with its verdict", async () => {
  for (const [name, viewport] of [["employer-share", { width: 1280, height: 800 }], ["employer-share-360", { width: 360, height: 740 }]]) {
    const context = await browser.newContext({ locale: "en-GB", viewport });
    const page = await newPage(context);
    assert.equal((await page.goto(shareUrl)).status(), 200);
    const data = JSON.parse(await page.textContent("#share-data"));
    assert.ok(data.holder.name, "the share names its holder");
    // The holder is the page's heading, above everything else, and in the first screen.
    assert.equal((await page.textContent("h1")).trim(), data.holder.name);
    const h1 = await page.locator("h1").boundingBox();
    assert.ok(h1.y + h1.height <= viewport.height, "the holder is on the first screen");
    const card = page.locator(`#share-achievements .achievement`).first();
    const box = await card.locator(".verdict").boundingBox();
    assert.ok(box.y < viewport.height, "the first verdict is on the first screen");
    assert.equal(await card.locator(".verdict").textContent().then((s) => s.trim()), "✓ Verified: genuine and valid");
    const titles = await page.locator("#share-achievements .achievement h2").allTextContents();
    assert.deepEqual(titles.sort(), [degree.title, other.title].sort());
    const shown = page.locator("#share-achievements .achievement", { hasText: degree.title });
    assert.match(await shown.textContent(), new RegExp(words(degree.awarded_on, MONTHS_EN)));
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= viewport.width, `the share page is ${wide} px wide`);
    await shot(page, name);
    assert.deepEqual(page.problems, []);
    await context.close();
  }
});

test("Dutch pages are Dutch, with Dutch dates and numbers", async () => {
  const context = await browser.newContext({ locale: "nl-NL" });
  const page = await newPage(context);
  await page.goto(shareUrl);
  assert.equal(await page.getAttribute("html", "lang"), "nl");
  const shown = page.locator("#share-achievements .achievement", { hasText: degree.title });
  const text = await shown.textContent();
  assert.match(text, new RegExp(words(degree.awarded_on, MONTHS_NL)));
  assert.match(text, /Gecontroleerd: echt en geldig/);
  // Every check is explained in Dutch: none of the server's English explanations show.
  for (const li of await shown.locator(".checks li").allTextContents()) {
    assert.doesNotMatch(li, /\b(The|credential|signature|issuer)\b/, li);
  }
  if (typeof degree.credits === "number" && !Number.isInteger(degree.credits))
    assert.match(text, new RegExp(String(degree.credits).replace(".", ",")));
  if (/^\d+\.\d+$/.test(degree.grade || ""))
    assert.match(text, new RegExp(degree.grade.replace(".", ",")));
  assert.doesNotMatch(await page.innerText("main"), /\d{4}-\d{2}-\d{2}/, "no ISO dates for people");
  await shot(page, "employer-share-nl");
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("a revoked result says so in its headline, with the date", async () => {
  dep.run("revoke", degree.id, "--reason", "awarded in error");
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await newPage(context);
  await page.goto(shareUrl);
  const card = page.locator("#share-achievements .achievement", { hasText: degree.title });
  assert.equal(await card.getAttribute("data-state"), "revoked");
  assert.equal((await card.locator(".verdict").textContent()).trim(), `✗ Revoked by the institution on ${words(today(), MONTHS_EN)}`);
  assert.doesNotMatch(await card.textContent(), /Not confirmed/);
  // The other result is still verified.
  const still = page.locator("#share-achievements .achievement", { hasText: other.title });
  assert.match(await still.locator(".verdict").textContent(), /Verified/);
  await shot(page, "employer-share-revoked");
  await page.goto(shareUrl + "?lang=nl");
  const nl = page.locator("#share-achievements .achievement", { hasText: degree.title });
  assert.equal((await nl.locator(".verdict").textContent()).trim(), `✗ Ingetrokken door de instelling op ${words(today(), MONTHS_NL)}`);
  await shot(page, "employer-share-revoked-nl");
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("the learner cannot pick a revoked result for a new share", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await newPage(context);
  await page.goto(dep.loginLink());
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${dep.base}/learner`);
  await page.locator("#share-choices input").first().waitFor();
  assert.equal(await page.locator(`#pick-${degree.id}`).count(), 0);
  assert.equal(await page.locator(`#pick-${other.id}`).count(), 1);
  assert.match(await page.textContent("#share-withheld"), /revoked or suspended cannot be shared/);
  // The share form comes before the cards of every result.
  const form = await page.locator("#share-form").boundingBox();
  const cards = await page.locator("#achievements").boundingBox();
  assert.ok(form.y < cards.y, "the share form is above the list of results");
  await shot(page, "learner-share-form");
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("an unknown URL opens a page in the site's style", async () => {
  const context = await browser.newContext({ locale: "nl-NL" });
  const page = await newPage(context);
  const res = await page.goto(`${dep.base}/no/such/page`);
  assert.equal(res.status(), 404);
  assert.match(res.headers()["content-type"], /^text\/html/);
  assert.equal(await page.textContent("h1"), "Niet gevonden");
  assert.equal(await page.locator("header.top nav a[href='/verify']").count(), 1);
  await shot(page, "notfound-nl");
  assert.deepEqual(page.problems, []);
  await context.close();
});
