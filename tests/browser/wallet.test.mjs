// "Add to wallet" in a real browser (issue 17): a learner signs in, picks a result and presses
// "Add to wallet"; the page shows the offer's QR code, its openid-credential-offer:// link and
// the PIN. A wallet (played here over HTTP with node's own crypto, not oorkonde's code) redeems
// the offer with that PIN; after a reload the page's "In your wallet" list shows the result and
// the wallet's key. Screenshots in tests/browser/out/.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { after, before, test } from "node:test";
import { Depository, launch, newPage, shot } from "./lib.mjs";

const PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

let dep, browser;

before(async () => {
  dep = await Depository.start(5);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (dep) await dep.stop();
});

const b64u = (buf) => Buffer.from(buf).toString("base64url");

/* The wallet's part of OpenID4VCI's pre-authorized code flow, as a wallet app does it after
 * scanning the QR code: the offer behind the link, the token (with the PIN), a c_nonce, and one
 * credential bound to a fresh ES256 key. Returns the credential and the key's thumbprint. */
async function redeemAsWallet(link, pin) {
  const prefix = "openid-credential-offer://?credential_offer_uri=";
  assert.ok(link.startsWith(prefix), link);
  const offerUri = decodeURIComponent(link.slice(prefix.length));
  assert.ok(offerUri.startsWith(`${dep.base}/`), offerUri);
  const offer = await fetch(offerUri).then((r) => {
    assert.equal(r.status, 200);
    return r.json();
  });
  assert.equal(offer.credential_issuer, dep.base);
  const grant = offer.grants[PRE_AUTH];
  assert.equal(grant.tx_code.length, pin.length);
  const tok = await fetch(`${dep.base}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: PRE_AUTH, "pre-authorized_code": grant["pre-authorized_code"], tx_code: pin }),
  });
  assert.equal(tok.status, 200, await tok.clone().text());
  const { access_token: access } = await tok.json();
  const { c_nonce: nonce } = await fetch(`${dep.base}/nonce`, { method: "POST" }).then((r) => r.json());

  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
  const jwk = { kty, crv, x, y };
  const header = b64u(JSON.stringify({ alg: "ES256", typ: "openid4vci-proof+jwt", jwk }));
  const payload = b64u(JSON.stringify({ aud: dep.base, iat: Math.floor(Date.now() / 1000), nonce }));
  const sig = sign("sha256", Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: "ieee-p1363" });
  const res = await fetch(`${dep.base}/credential`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${access}` },
    body: JSON.stringify({
      credential_configuration_id: offer.credential_configuration_ids[0],
      proofs: { jwt: [`${header}.${payload}.${b64u(sig)}`] },
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { credentials } = await res.json();
  assert.equal(credentials.length, 1);
  // RFC 7638: the members in order, no spaces.
  const thumbprint = b64u(createHash("sha256").update(JSON.stringify({ crv, kty, x, y })).digest());
  return { credential: credentials[0].credential, thumbprint };
}

test("a learner adds a result to a wallet: QR code, link and PIN; the wallet list shows it", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await newPage(context);
  await page.goto(dep.loginLink());
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${dep.base}/learner`);
  await page.locator("#achievements .achievement").first().waitFor();
  // Nothing in a wallet yet.
  await page.locator("#wallet p").filter({ hasNotText: "Loading" }).waitFor();
  assert.equal(await page.locator("#wallet tbody tr").count(), 0);

  const result = dep.achievements.find((a) => a.kind === "diploma" || a.kind === "degree") || dep.achievements[0];
  await page.check(`#pick-${result.id}`);
  await page.getByRole("button", { name: "Add to wallet" }).click();
  await page.locator("#wallet-result").waitFor();
  assert.equal(await page.locator("#wallet-qr svg path").count(), 1);
  const link = await page.getAttribute("#wallet-link", "href");
  assert.match(link, /^openid-credential-offer:\/\/\?credential_offer_uri=/);
  assert.equal(await page.locator("#wallet-pin-row").isVisible(), true);
  const pin = (await page.textContent("#wallet-pin")).trim();
  assert.match(pin, /^[0-9]{6}$/);
  assert.match(await page.textContent("#wallet-result"), /PIN to enter in your wallet:/);
  assert.ok(await page.locator("#wallet-expires time").count());
  await shot(page, "wallet-offer");

  const { credential, thumbprint } = await redeemAsWallet(link, pin);
  // An SD-JWT VC of that result: a JWS, its disclosures, and the closing "~".
  const [jws, ...rest] = credential.split("~");
  const header = JSON.parse(Buffer.from(jws.split(".")[0], "base64url"));
  assert.equal(header.typ, "dc+sd-jwt");
  assert.equal(rest.at(-1), "");
  const titles = rest.slice(0, -1).map((d) => JSON.parse(Buffer.from(d, "base64url"))).filter((d) => d[1] === "title");
  assert.deepEqual(titles.map((d) => d[2]), [result.title]);

  await page.reload();
  const row = page.locator(`#wallet tbody tr[data-key="${thumbprint}"]`);
  await row.waitFor();
  assert.equal(await page.locator("#wallet tbody tr").count(), 1);
  assert.match(await row.textContent(), new RegExp(result.title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.equal(await row.locator("code").textContent(), "…" + thumbprint.slice(-8));
  assert.ok(await row.locator("time").count());
  await shot(page, "wallet-list");
  assert.deepEqual(page.problems, []);

  // The offer was for one use: the link now says gone.
  const again = await fetch(decodeURIComponent(link.split("=")[1]));
  assert.equal(again.status, 410);
  await context.close();
});
