// The verifier's pages in a real browser (issue 18): an employer makes a request on /request
// from plain choices, lands on its page with a QR code and the openid4vp:// link, and the page
// turns green by itself (polling) once a wallet answers from elsewhere; a wallet that leaves out
// a claim asked for turns it red, with the reason. The wallet is played here with node:crypto:
// it reads the request object and answers with an SD-JWT VC presentation and a key-binding JWT,
// or, asked for a W3C credential (ldp_vc), with a Verifiable Presentation signed eddsa-jcs-2022.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Depository, launch, newPage, shot } from "./lib.mjs";

let dep, browser, holder, credential, degree;

before(async () => {
  dep = await Depository.start(3);
  browser = await launch();
  holder = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = join(dep.data, "..", "holder.jwk");
  writeFileSync(jwk, JSON.stringify(holder.publicKey.export({ format: "jwk" })));
  degree = dep.achievements.find((a) => a.kind === "degree") || dep.achievements[0];
  credential = dep.run("issue", degree.id, "--format", "sd-jwt", "--holder-jwk", jwk).trim();
});

after(async () => {
  if (browser) await browser.close();
  if (dep) await dep.stop();
});

const b64 = (s) => Buffer.from(s).toString("base64url");

/* The wallet: the request object from the link, then a presentation of the claims named. */
async function wallet(link, leaveOut = []) {
  const uri = new URL(new URL(link).searchParams.get("request_uri"));
  const jwt = await (await fetch(dep.base + uri.pathname)).text();
  const req = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url"));
  const asked = new Set(req.dcql_query.credentials[0].claims.flatMap((c) => c.path)
    .filter((n) => !leaveOut.includes(n)));
  const [jws, ...rest] = credential.split("~");
  const chosen = rest.filter((d) => d && asked.has(JSON.parse(Buffer.from(d, "base64url")).at(-2)));
  const presented = jws + "~" + chosen.map((d) => d + "~").join("");
  const header = b64(JSON.stringify({ alg: "ES256", typ: "kb+jwt" }));
  const payload = b64(JSON.stringify({ iat: Math.floor(Date.now() / 1000), aud: req.client_id,
    nonce: req.nonce, sd_hash: crypto.createHash("sha256").update(presented).digest("base64url") }));
  const sig = crypto.sign("sha256", Buffer.from(`${header}.${payload}`),
    { key: holder.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  const r = await fetch(dep.base + new URL(req.response_uri).pathname, { method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ vp_token: JSON.stringify({ result: [`${presented}${header}.${payload}.${sig}`] }),
      state: req.state }).toString() });
  assert.equal(r.status, 200, await r.text());
}

async function ask(page, lang) {
  assert.equal((await page.goto(`${dep.base}/request?lang=${lang}`)).status(), 200);
  await page.uncheck("input[name=kind][value=diploma]");
  await page.check("input[name=kind][value=degree]");
  await page.check("input[name=claim][value=birthdate]");
  await page.fill("#requester", "Werkgever BV");
  await page.fill("#label", "Vacature 14");
  await Promise.all([page.waitForURL(/\/request\/[A-Za-z0-9_-]{43}$/), page.click("#request-button")]);
  // The page says what the wallet is shown as the party asking: the stated name, unverified.
  assert.match(await page.textContent("#request-requester"), /^\[not verified by [^\]]+\] Werkgever BV$/);
  assert.ok(await page.locator("#request-qr svg").isVisible(), "the QR code is shown");
  const link = await page.getAttribute("#request-link", "href");
  // The depository's host is an IP address here: its certificate names no DNS host, so the
  // client id is the certificate's hash.
  assert.match(link, /^openid4vp:\/\/\?client_id=x509_hash%3A[A-Za-z0-9_-]{43}&request_uri=/);
  return link;
}

test("the verifier's page turns green when the wallet answers", async () => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  const link = await ask(page, "en");
  await shot(page, "verifier-request");
  await wallet(link);
  const result = page.locator("#request-result.ok");
  await result.waitFor({ timeout: 15000 });
  assert.equal(await result.getAttribute("data-state"), "verified");
  assert.equal((await page.textContent("#request-verdict")).trim(), "Verified");
  const card = page.locator("#request-credentials .achievement.ok");
  assert.match(await card.textContent(), new RegExp(degree.title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.ok(await page.locator("#request-wait").isHidden());
  await shot(page, "verifier-verified");
  await context.close();
});

test("a wallet that leaves out a claim asked for turns it red, in Dutch, with the reason", async () => {
  const context = await browser.newContext({ locale: "nl-NL", viewport: { width: 360, height: 740 } });
  const page = await newPage(context);
  const link = await ask(page, "nl");
  await wallet(link, ["birthdate"]);
  const result = page.locator("#request-result.bad");
  await result.waitFor({ timeout: 15000 });
  assert.equal((await page.textContent("#request-verdict")).trim(), "Niet geverifieerd");
  assert.match(await page.textContent("#request-reason"), /Omdat:.*birthdate/);
  await shot(page, "verifier-not-verified-360");
  await context.close();
});

/* JCS (RFC 8785) of plain JSON: members sorted, numbers as JavaScript writes them. */
function jcs(v) {
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  if (v && typeof v === "object")
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
  return JSON.stringify(v);
}

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(bytes) {
  let n = BigInt("0x" + (Buffer.from(bytes).toString("hex") || "0")), out = "";
  while (n > 0n) { out = B58[Number(n % 58n)] + out; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; out = "1" + out; }
  return out;
}

/* The wallet for an ldp_vc query: the W3C credential in a Verifiable Presentation signed by a
 * did:key holder (eddsa-jcs-2022), challenge = nonce, domain = client_id; bound: the credential
 * issued to that key (issue --holder-did), else one that names no holder. */
/* Returns the wallet's answer: 200, or 400 with OpenID4VP's error where the request stays open. */
async function w3cWallet(link, bound, status = 200) {
  const uri = new URL(new URL(link).searchParams.get("request_uri"));
  const jwt = await (await fetch(dep.base + uri.pathname)).text();
  const req = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url"));
  assert.equal(req.dcql_query.credentials[0].format, "ldp_vc");
  const key = crypto.generateKeyPairSync("ed25519");
  const raw = Buffer.from(key.publicKey.export({ format: "jwk" }).x, "base64url");
  const mk = "z" + base58(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
  const did = "did:key:" + mk;
  const vc = JSON.parse(bound ? dep.run("issue", degree.id, "--holder-did", did) : dep.run("issue", degree.id));
  const vp = { "@context": ["https://www.w3.org/ns/credentials/v2"], type: ["VerifiablePresentation"],
    holder: did, verifiableCredential: [vc] };
  const proof = { type: "DataIntegrityProof", cryptosuite: "eddsa-jcs-2022", created: "2025-01-01T00:00:00Z",
    verificationMethod: `${did}#${mk}`, proofPurpose: "authentication", challenge: req.nonce,
    domain: req.client_id, "@context": vp["@context"] };
  const hash = (o) => crypto.createHash("sha256").update(jcs(o)).digest();
  const sig = crypto.sign(null, Buffer.concat([hash(proof), hash(vp)]), key.privateKey);
  const r = await fetch(dep.base + new URL(req.response_uri).pathname, { method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ vp_token: JSON.stringify({ result: [{ ...vp, proof: { ...proof, proofValue: "z" + base58(sig) } }] }),
      state: req.state }).toString() });
  const text = await r.text();
  assert.equal(r.status, status, text);
  return text;
}

async function askW3C(page, lang, acceptUnbound) {
  assert.equal((await page.goto(`${dep.base}/request?lang=${lang}`)).status(), 200);
  await page.uncheck("input[name=kind][value=diploma]");
  await page.check("input[name=kind][value=degree]");
  await page.uncheck("input[name=format][value='dc+sd-jwt']");
  await page.check("input[name=format][value=ldp_vc]");
  // Next to the W3C choice: the depository sees the whole credential, the verifier what it ticks.
  assert.match(await page.textContent("#ldp-hint"), lang === "en" ? /you see only what you tick/ : /u ziet alleen wat u hier aanvinkt/);
  if (acceptUnbound) await page.check("#accept-unbound");
  await page.fill("#requester", "Werkgever BV");
  await Promise.all([page.waitForURL(/\/request\/[A-Za-z0-9_-]{43}$/), page.click("#request-button")]);
  return page.getAttribute("#request-link", "href");
}

test("asked for a W3C credential (ldp_vc), one issued to the wallet's key turns the page green", async () => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  await w3cWallet(await askW3C(page, "en", false), true);
  const result = page.locator("#request-result.ok");
  await result.waitFor({ timeout: 15000 });
  assert.equal(await result.getAttribute("data-state"), "verified");
  const card = page.locator("#request-credentials .achievement.ok");
  assert.match(await card.textContent(), new RegExp(degree.title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await shot(page, "verifier-ldp-verified");
  await context.close();
});

test("a W3C credential that names no holder is not verified; accepted, it is amber, never green", async () => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  // Not accepted: anyone with a copy could post it, so the wallet is told why and the request
  // stays open for the holder's answer (finding s16-3).
  const why = await w3cWallet(await askW3C(page, "en", false), false, 400);
  assert.match(JSON.parse(why).error_description, /names no holder: anyone with a copy \(a share link hands one out\) can present it/);
  const view = new URL(page.url()).pathname.split("/request/")[1];
  const state = await (await fetch(`${dep.base}/v1/verifier/results/${view}`)).json();
  assert.equal(state.status, "pending");
  assert.ok(await page.locator("#request-qr svg").isVisible(), "still waiting for the holder");
  // The verifier ticked "also accept": amber, with the same sentence, in Dutch too.
  await context.close();
  const nl = await browser.newContext({ locale: "nl-NL", viewport: { width: 360, height: 740 } });
  const p2 = await newPage(nl);
  await w3cWallet(await askW3C(p2, "nl", true), false);
  const result = p2.locator("#request-result.warn");
  await result.waitFor({ timeout: 15000 });
  assert.equal(await result.getAttribute("data-state"), "verified_unbound");
  assert.equal((await p2.textContent("#request-verdict")).trim(), "Echt, maar niet aan de houder gebonden");
  assert.equal(await p2.locator("#request-result.ok").count(), 0);
  const card = p2.locator("#request-credentials .achievement.warn");
  assert.match(await card.locator(".unbound").textContent(), /noemt geen houder: iedereen met een kopie \(een deellink geeft er een\) kan het tonen/);
  await shot(p2, "verifier-ldp-unbound-360");
  await nl.close();
});
