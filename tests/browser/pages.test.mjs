// The pages in a real browser: a learner signs in with a login link, sees their diplomas and
// shares some; a verifier in a fresh browser sees them verified; a revoked share says so (410);
// /verify tells a valid credential from an altered one; the language switch; the layout at
// 360 px. Each test saves a screenshot in tests/browser/out/.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Depository, launch, newPage, shot } from "./lib.mjs";

let dep, browser, learner, learnerPage, shareUrl, sharedIds;

before(async () => {
  dep = await Depository.start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (dep) await dep.stop();
});

test("a learner signs in with a login link and sees their diplomas first", async () => {
  learner = await browser.newContext({ locale: "en-GB", permissions: ["clipboard-read", "clipboard-write"] });
  const page = (learnerPage = await newPage(learner));
  // Opening the link only shows a page (a mail scanner fetching it uses nothing up); the
  // learner signs in with its button.
  await page.goto(dep.loginLink());
  assert.equal(page.url().startsWith(`${dep.base}/login/`), true);
  await shot(page, "login");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${dep.base}/learner`);
  await page.locator("#achievements .achievement").first().waitFor();
  assert.match(await page.textContent("#learner-name"), /Signed in as \S+/);
  const cards = page.locator("#achievements .achievement");
  assert.equal(await cards.count(), dep.achievements.length);
  // Within each institution, diplomas and degrees come before courses.
  for (const group of await page.locator(".institution-group").all()) {
    const kinds = await group.locator(".achievement").evaluateAll((els) => els.map((e) => e.dataset.kind));
    const firstCourse = kinds.findIndex((k) => k !== "diploma" && k !== "degree");
    if (firstCourse >= 0) assert.ok(kinds.slice(firstCourse).every((k) => k !== "diploma" && k !== "degree"), kinds.join());
  }
  assert.ok(dep.achievements.some((a) => a.kind === "diploma" || a.kind === "degree"));
  // Each achievement downloads as JSON and as JWT.
  const first = dep.achievements.find((a) => a.kind === "diploma" || a.kind === "degree");
  const card = page.locator(`.achievement[data-id="${first.id}"]`);
  assert.equal(await card.locator("h4").textContent().then((s) => s.includes(first.title)), true);
  const [download] = await Promise.all([page.waitForEvent("download"), card.getByRole("link", { name: "JSON" }).click()]);
  // Named after the result: its title in lower case with dashes, and the year.
  const slug = first.title.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  assert.equal(download.suggestedFilename(), `${slug}-${first.awarded_on.slice(0, 4)}.json`);
  await shot(page, "learner");
  assert.deepEqual(page.problems, []);
});

test("the learner creates a share and copies its link", async () => {
  const page = learnerPage;
  sharedIds = dep.achievements.slice(0, 2).map((a) => a.id);
  for (const id of sharedIds) await page.check(`#pick-${id}`);
  await page.fill("#share-recipient", "Employer <X>");
  await page.fill("#share-days", "7");
  await page.click("#share-create");
  await page.locator("#share-result").waitFor();
  shareUrl = await page.inputValue("#share-url");
  assert.match(shareUrl, new RegExp(`^${dep.base}/s/[A-Za-z0-9_-]{43}$`));
  assert.equal(await page.locator("#share-qr svg path").count(), 1);
  await page.click("#share-copy");
  await page.getByText("The link has been copied.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), shareUrl);
  // The new share heads the list, with no use yet.
  const share = page.locator("#shares .share").first();
  assert.match(await share.locator("h3").textContent(), /Employer <X>/);
  assert.equal(await share.locator(".uses").textContent(), "0");
  await shot(page, "share-created");
  assert.deepEqual(page.problems, []);
});

test("a verifier in a fresh browser sees every shared achievement verified", async () => {
  const verifier = await browser.newContext({ locale: "en-GB" });
  const page = await newPage(verifier);
  const res = await page.goto(shareUrl);
  assert.equal(res.status(), 200);
  const items = page.locator("#share-achievements .achievement");
  assert.equal(await items.count(), sharedIds.length);
  for (const item of await items.all()) {
    assert.match(await item.getAttribute("class"), /\bverified\b/);
    assert.match(await item.locator(".verdict").textContent(), /Verified: genuine and valid/);
    assert.equal(await item.locator(".checks li.fail").count(), 0);
    assert.equal(await item.locator(".checks li.pass").count(), 4);
  }
  assert.match(await page.textContent("#share-summary"), /Everything was checked and found genuine/);
  assert.match(await page.textContent(".lead"), /Shared with Employer <X>/);
  assert.match(await page.textContent(".vouch"), /did:web:127\.0\.0\.1/);
  const data = JSON.parse(await page.textContent("#share-data"));
  assert.deepEqual(data.achievements.map((a) => a.id).sort(), [...sharedIds].sort());
  await shot(page, "share-page");
  assert.deepEqual(page.problems, []);
  await verifier.close();
});

test("the learner sees the opening, revokes the share, and the page then says revoked (410)", async () => {
  const page = learnerPage;
  await page.reload();
  const share = page.locator("#shares .share").first();
  await share.waitFor();
  assert.equal(await share.locator(".uses").textContent(), "1");
  assert.match(await page.textContent("#views"), /Employer <X>/);
  // Which share was opened: the end of its id and when it was made, beside the recipient.
  const shareId = await share.getAttribute("data-share");
  const which = page.locator(`#views .view-share[data-share="${shareId}"]`).first();
  assert.equal(await which.locator("code").textContent(), "…" + shareId.slice(-6));
  assert.match(await which.textContent(), /made/);
  page.once("dialog", (d) => d.accept());
  await share.getByRole("button", { name: "Revoke" }).click();
  await page.locator('#shares .share[data-state="revoked"]').first().waitFor();
  await shot(page, "share-revoked-learner");

  const verifier = await browser.newContext({ locale: "en-GB" });
  const vpage = await newPage(verifier);
  const res = await vpage.goto(shareUrl);
  assert.equal(res.status(), 410);
  assert.equal(await vpage.textContent("h1"), "This link no longer works");
  assert.match(await vpage.textContent("main"), /revoked/);
  await shot(vpage, "share-revoked");
  assert.deepEqual(vpage.problems, []);
  assert.deepEqual(page.problems, []);
  await verifier.close();
});

test("signing out says so when it fails, and signs out when it works", async () => {
  const page = learnerPage;
  await page.goto(`${dep.base}/learner`);
  await page.locator("#achievements .achievement").first().waitFor();
  await page.route("**/logout", (route) => route.fulfill({ status: 500, contentType: "application/problem+json", body: JSON.stringify({ title: "Internal error", detail: "the store is down", status: 500 }) }));
  await page.locator("#logout-form button").click();
  await page.waitForFunction(() => document.getElementById("learner-status").textContent.includes("still signed in"));
  assert.equal(new URL(page.url()).pathname, "/learner");
  await shot(page, "logout-failed");
  await page.unroute("**/logout");
  await page.locator("#logout-form button").click();
  await page.waitForURL(`${dep.base}/`);
  const res = await page.goto(`${dep.base}/learner`);
  assert.equal(res.status(), 401);
  assert.deepEqual(page.problems, []);
});

test("/verify: a valid credential passes every check, an altered one shows which failed", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await newPage(context);
  const id = dep.achievements[0].id;
  await page.goto(`${dep.base}/verify`);
  await page.fill("#credential", dep.issue(id));
  await page.click("#verify-button");
  await page.locator("#verify-result:not([hidden])").waitFor();
  assert.equal(await page.textContent("#verify-verdict"), "Verified: genuine and valid");
  assert.equal(await page.locator("#verify-checks li.pass").count(), 4);
  assert.equal(await page.locator("#verify-checks li.fail").count(), 0);
  await shot(page, "verify-valid");

  // Altered after signing: the title of the achievement.
  const altered = JSON.parse(dep.issue(id));
  altered.credentialSubject.achievement.name = "Doctor of Everything";
  await page.fill("#credential", JSON.stringify(altered, null, 2));
  await page.click("#verify-button");
  await page.locator("#verify-result.bad").waitFor();
  assert.equal(await page.textContent("#verify-verdict"), "Not genuine: the signature does not hold");
  const failed = page.locator("#verify-checks li.fail");
  assert.equal(await failed.count(), 1);
  assert.equal(await failed.getAttribute("data-check"), "proof");
  assert.match(await failed.textContent(), /Signature: failed\..*changed after it was signed/);
  // Nothing else means anything once the signature fails: no green tick beside the red one.
  assert.equal(await page.locator("#verify-checks li.pass").count(), 0);
  assert.equal(await page.locator("#verify-checks li.na").count(), 3);
  await shot(page, "verify-altered");

  // A JWT from a file works the same.
  await page.setInputFiles("#file", { name: "credential.jwt", mimeType: "text/plain", buffer: Buffer.from(dep.issue(id, "jwt")) });
  await page.locator("#verify-result.ok").waitFor();
  assert.equal(await page.locator("#verify-checks li.pass").count(), 4);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("the language switch changes the text and is remembered", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await newPage(context);
  await page.goto(`${dep.base}/`);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("h1"), "Diplomas and results, digital and verifiable");
  await page.click("#lang-switch");
  await page.waitForURL(/\?lang=nl$/);
  assert.equal(await page.getAttribute("html", "lang"), "nl");
  assert.equal(await page.textContent("h1"), "Diploma's en resultaten, digitaal en controleerbaar");
  await shot(page, "home-nl");
  // The choice holds on the next page, scripts included.
  await page.click("text=Controleren");
  await page.waitForURL(`${dep.base}/verify`);
  assert.equal(await page.textContent("h1"), "Een digitaal bewijs controleren");
  await page.click("#verify-button");
  assert.equal(await page.textContent("#verify-verdict"), "Plak eerst een bewijs of kies een bestand.");
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("usable at 360 px and by keyboard", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "nl-NL" });
  const page = await newPage(context);
  for (const path of ["/", "/verify", "/learner"]) {
    await page.goto(dep.base + path);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `${path} is ${wide} px wide`);
  }
  assert.equal(await page.textContent("h1"), "Aanmelden");
  await page.goto(`${dep.base}/verify`);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  // The focus ring is drawn.
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), "none");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "credential");
  await shot(page, "verify-360");
  assert.deepEqual(page.problems, []);
  await context.close();
});
