// Signing in with a wallet in a real browser (issue 18, item 4): the learner chooses "wallet on
// another device" on /signin, the waiting page shows the QR code and the openid4vp:// link, the
// wallet (played here with node:crypto, its PID from a test PID provider whose CA openssl made
// and config.json's wallet_signin trusts) answers from elsewhere, and the page moves on by itself
// (polling) to a page naming whom the wallet signed in, and on to the learner's records (or
// signs out: "not you?"). A PID with another BSN ends on "no records are registered for you",
// without a session.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Depository, launch, newPage, shot } from "./lib.mjs";

const PID_HOST = "pid.example.eu";
const CLAIM = "personal_administrative_number";
let dep, browser, holder, issuer;

/* A PID provider: a CA and an issuer certificate naming PID_HOST, made with openssl in dir. */
function pidProvider(dir) {
  const f = (n) => join(dir, n);
  const ssl = (args) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  ssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("pid-ca.key")]);
  ssl(["req", "-x509", "-new", "-key", f("pid-ca.key"), "-subj", "/CN=Browser PID CA", "-days", "30",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-out", f("pid-ca.pem")]);
  ssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("pid.key")]);
  ssl(["req", "-new", "-key", f("pid.key"), "-subj", `/CN=${PID_HOST}`, "-out", f("pid.csr")]);
  writeFileSync(f("pid.ext"), `subjectAltName=DNS:${PID_HOST}\nbasicConstraints=critical,CA:FALSE\n`);
  ssl(["x509", "-req", "-in", f("pid.csr"), "-CA", f("pid-ca.pem"), "-CAkey", f("pid-ca.key"),
    "-CAcreateserial", "-days", "30", "-extfile", f("pid.ext"), "-out", f("pid.pem")]);
  return { key: crypto.createPrivateKey(readFileSync(f("pid.key"))),
    x5c: [new crypto.X509Certificate(readFileSync(f("pid.pem"))).raw.toString("base64")] };
}

before(async () => {
  dep = await Depository.start(3, async (d) => {
    issuer = pidProvider(d.data);
    const cfg = JSON.parse(readFileSync(join(d.data, "config.json"), "utf8"));
    cfg.wallet_signin = { pid_issuers: ["pid-ca.pem"], pid_iss: [`https://${PID_HOST}`], id_claim: CLAIM,
      id_scheme: "NL:BSN", cross_device: true };
    writeFileSync(join(d.data, "config.json"), JSON.stringify(cfg));
    // The depository's wallet key signs its request objects.
    const jwk = join(d.data, "..", "h.jwk");
    writeFileSync(jwk, JSON.stringify(crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ format: "jwk" })));
    d.run("issue", d.achievements[0].id, "--format", "sd-jwt", "--holder-jwk", jwk);
  });
  browser = await launch();
  holder = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
});

after(async () => {
  if (browser) await browser.close();
  if (dep) await dep.stop();
});

const b64 = (s) => Buffer.from(s).toString("base64url");
const sign = (key, data) => crypto.sign("sha256", Buffer.from(data), { key, dsaEncoding: "ieee-p1363" })
  .toString("base64url");

/* The wallet: a PID with national id nid, presented to the request behind the link. */
async function wallet(link, nid) {
  const uri = new URL(new URL(link).searchParams.get("request_uri"));
  const jwt = await (await fetch(dep.base + uri.pathname)).text();
  const req = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url"));
  const disclosure = b64(JSON.stringify([b64(crypto.randomBytes(16)), CLAIM, nid]));
  const country = b64(JSON.stringify([b64(crypto.randomBytes(16)), "issuing_country", "NL"]));
  const now = Math.floor(Date.now() / 1000);
  const h = b64(JSON.stringify({ alg: "ES256", typ: "dc+sd-jwt", x5c: issuer.x5c }));
  const p = b64(JSON.stringify({ iss: `https://${PID_HOST}`, vct: "urn:eudi:pid:1", iat: now, exp: now + 3600,
    cnf: { jwk: holder.publicKey.export({ format: "jwk" }) }, _sd_alg: "sha-256",
    _sd: [disclosure, country].map((d) => crypto.createHash("sha256").update(d).digest("base64url")).sort() }));
  const presented = `${h}.${p}.${sign(issuer.key, `${h}.${p}`)}~${disclosure}~${country}~`;
  const kh = b64(JSON.stringify({ alg: "ES256", typ: "kb+jwt" }));
  const kp = b64(JSON.stringify({ iat: now, aud: req.client_id, nonce: req.nonce,
    sd_hash: crypto.createHash("sha256").update(presented).digest("base64url") }));
  const r = await fetch(dep.base + new URL(req.response_uri).pathname, { method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ vp_token: JSON.stringify({ pid: [`${presented}${kh}.${kp}.${sign(holder.privateKey, `${kh}.${kp}`)}`] }),
      state: req.state }).toString() });
  assert.equal(r.status, 200, await r.text());
}

async function startOnOtherDevice(page, lang) {
  assert.equal((await page.goto(`${dep.base}/signin?lang=${lang}`)).status(), 200);
  await Promise.all([page.waitForURL(/\/signin\/wallet\/wait$/), page.click("#signin-wallet-cross")]);
  assert.ok(await page.locator("#wallet-qr svg").isVisible(), "the QR code is shown");
  const link = await page.getAttribute("#wallet-link", "href");
  assert.match(link, /^openid4vp:\/\/\?client_id=/);
  return link;
}

test("the learner signs in with the wallet on another device and lands on their records", async () => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  const link = await startOnOtherDevice(page, "en");
  await shot(page, "wallet-signin-wait");
  await wallet(link, dep.nationalId);
  // The end page names whom the wallet signed in (whoever answered the QR code first decides
  // that), with "not you? sign out".
  await page.waitForURL(/\/signin\/wallet\/done$/, { timeout: 15000 });
  const who = (await page.textContent("#wallet-who")).trim();
  const me = await page.evaluate(async () => (await fetch("/v1/me")).json());
  assert.equal(who, `${me.learner.given_names} ${me.learner.family_name}`);
  assert.match(await page.textContent("#wallet-not-me"), /Not you\?/);
  await shot(page, "wallet-signin-done");
  await Promise.all([page.waitForURL(/\/learner$/), page.click("#signin-continue")]);
  await page.locator(".achievement, #learner-records, main").first().waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("not the learner at this browser: 'sign out' on the end page ends the session", async () => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 360, height: 740 } });
  const page = await newPage(context);
  const link = await startOnOtherDevice(page, "en");
  await wallet(link, dep.nationalId);
  await page.waitForURL(/\/signin\/wallet\/done$/, { timeout: 15000 });
  await Promise.all([page.waitForURL(/\/signin$/), page.click("#wallet-sign-out")]);
  const status = await page.evaluate(async () => (await fetch("/v1/me")).status);
  assert.equal(status, 401);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("a PID without records ends on 'no records are registered for you', in Dutch", async () => {
  const context = await browser.newContext({ locale: "nl-NL", viewport: { width: 360, height: 740 } });
  const page = await newPage(context);
  const link = await startOnOtherDevice(page, "nl");
  await wallet(link, "111222333");
  await page.waitForURL(/\/signin\/wallet\/done$/, { timeout: 15000 });
  assert.match(await page.textContent("#signin-refused"), /Er zijn geen gegevens van u geregistreerd/);
  const me = await page.evaluate(async () => (await fetch("/v1/me")).status);
  assert.equal(me, 401);
  assert.deepEqual(page.problems, []);
  await context.close();
});
