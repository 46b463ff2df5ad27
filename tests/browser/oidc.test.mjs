// A learner signs in with their identity provider, through its own login page: oidc-provider
// (tests/oidc) on loopback over TLS with a certificate made here, a user carrying the demo
// learner's national id. The browser goes from /signin to the provider's page and lands on the
// learner's records; sent by an EMREX client, it goes on to choosing the results to send.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { Depository, launch, newPage, shot } from "./lib.mjs";

const OIDC = join(dirname(fileURLToPath(import.meta.url)), "..", "oidc");
let dep, browser, provider;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startProvider(d) {
  execFileSync(join(OIDC, "install"), { stdio: ["ignore", "ignore", "inherit"] });
  const cert = join(d.tmp, "cert.pem"), key = join(d.tmp, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
  { stdio: "ignore" });
  const port = await freePort();
  const secret = "browser-secret-0123456789abcdef";
  writeFileSync(join(d.tmp, "provider.json"), JSON.stringify({
    port, cert, key, claim: "bsn",
    clients: [{ client_id: "oorkonde-browser", client_secret: secret, application_type: "native",
      redirect_uris: [`${d.base}/signin/nl/callback`], token_endpoint_auth_method: "client_secret_basic" }],
    users: { anna: { bsn: d.nationalId } },
  }));
  const proc = spawn("node", [join(OIDC, "provider.mjs"), join(d.tmp, "provider.json")],
    { cwd: OIDC, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    proc.stdout.once("data", resolve);
    proc.once("exit", (code) => reject(new Error(`provider exited ${code}`)));
  });
  const cfgPath = join(d.data, "config.json");
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
  cfg.oidc = { providers: [{ id: "nl", name: "DigiD (test)", issuer: `https://localhost:${port}`,
    client_id: "oorkonde-browser", client_auth: "client_secret_basic", scopes: [],
    national_id_claim: "bsn", id_scheme: "NL:BSN", ca_file: cert }] };
  cfg.emrex_test_hosts = ["127.0.0.1", "localhost"]; // an EMREX client on loopback, below
  writeFileSync(cfgPath, JSON.stringify(cfg));
  writeFileSync(join(d.data, "oidc-nl.secret"), secret + "\n");
  chmodSync(join(d.data, "oidc-nl.secret"), 0o600);
  return proc;
}

before(async () => {
  dep = await Depository.start(5, async (d) => { provider = await startProvider(d); });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (dep) await dep.stop();
  if (provider) provider.kill();
});

test("a learner signs in through the identity provider's own page and lands on their records", async () => {
  // The provider's certificate is the test's own; oorkonde trusts it through ca_file.
  const context = await browser.newContext({ locale: "en-GB", ignoreHTTPSErrors: true });
  const page = await newPage(context);
  await page.goto(`${dep.base}/signin`);
  await shot(page, "signin");
  await page.getByRole("link", { name: "DigiD (test)" }).click();
  // The provider's login page.
  await page.locator('input[name="login"]').waitFor();
  assert.ok(page.url().startsWith("https://localhost:"), page.url());
  await page.fill('input[name="login"]', "anna");
  await page.fill('input[name="password"]', "any");
  await page.getByRole("button", { name: "Sign-in" }).click();
  // The provider asks a native client's user once to confirm; then back to oorkonde.
  const next = page.locator('button:has-text("Continue"), #achievements .achievement').first();
  await next.waitFor();
  if (page.url().startsWith("https://localhost:")) await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${dep.base}/learner`);
  await page.locator("#achievements .achievement").first().waitFor();
  assert.equal(await page.locator("#achievements .achievement").count(), dep.achievements.length);
  await shot(page, "signed-in-with-provider");
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("a learner an EMREX client sent here signs in at the provider and goes on to choosing results", async () => {
  const context = await browser.newContext({ locale: "en-GB", ignoreHTTPSErrors: true });
  const page = await newPage(context);
  // The client's page (another site: a page of no origin) posts the request here.
  await page.setContent(`<form method="post" action="${dep.base}/emrex">
    <input type="hidden" name="sessionId" value="browser-client-session">
    <input type="hidden" name="returnUrl" value="http://localhost:9/emrex/return">
    <button id="to-emrex">Fetch</button></form>`);
  await page.click("#to-emrex");
  await page.locator("#emrex-signin").waitFor();
  const request = new URL(page.url()).searchParams.get("r");
  assert.match(request, /^[0-9a-f]{16}$/);
  await page.locator("#emrex-signin-link").click();
  await page.getByRole("link", { name: "DigiD (test)" }).click();
  await page.locator('input[name="login"]').waitFor();
  await page.fill('input[name="login"]', "anna");
  await page.fill('input[name="password"]', "any");
  await page.getByRole("button", { name: "Sign-in" }).click();
  const next = page.locator('button:has-text("Continue"), #emrex-choose').first();
  await next.waitFor();
  if (page.url().startsWith("https://localhost:")) await page.getByRole("button", { name: "Continue" }).click();
  // Back here, signed in: the consent page of the same request, her results unticked.
  await page.locator("#emrex-choose").waitFor();
  assert.equal(new URL(page.url()).pathname, "/emrex");
  assert.equal(new URL(page.url()).searchParams.get("r"), request);
  assert.equal(await page.locator('#emrex-choose input[name="a"]').count(), dep.achievements.length);
  await shot(page, "emrex-after-provider");
  assert.deepEqual(page.problems, []);
  await context.close();
});
