// Signing in to oorkonde's learner portal with a wallet's PID (issue 18, item 4), with the wallet
// and the PID provider played by independent code: `openssl` makes the PID provider's CA and
// issuer certificate, the OpenWallet Foundation's `@sd-jwt/sd-jwt-vc` issues the PID (EU PID
// SD-JWT VC, vct urn:eudi:pid:1, x5c) and presents what the DCQL query asks for with a
// key-binding JWT, `@openid4vc/openid4vp` resolves the request as a wallet does; the browser
// (fetch with its cookie) gets a portal session. A PID from a CA that is not configured gets none.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {Openid4vpClient} from '@openid4vc/openid4vp';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import * as jose from 'jose';

import {es256, freePort, oorkondeOk, serve} from './lib.mjs';

const HOST = 'portal.example.nl';
const PID_HOST = 'pid.example.eu';
const BSN = '123456782';
const CLAIM = 'personal_administrative_number';

/** A PID provider made with openssl: a CA, and an issuer certificate naming PID_HOST. */
function pidProvider(dir) {
  fs.mkdirSync(dir, {recursive: true});
  const f = name => path.join(dir, name);
  const ssl = args => execFileSync('openssl', args, {stdio: ['ignore', 'pipe', 'pipe']});
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key')]);
  ssl(['req', '-x509', '-new', '-key', f('ca.key'), '-subj', '/CN=Interop PID CA', '-days', '30',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
    '-out', f('ca.pem')]);
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('issuer.key')]);
  ssl(['req', '-new', '-key', f('issuer.key'), '-subj', `/CN=${PID_HOST}`, '-out', f('issuer.csr')]);
  fs.writeFileSync(f('ext'), `subjectAltName=DNS:${PID_HOST}\nbasicConstraints=critical,CA:FALSE\n`);
  ssl(['x509', '-req', '-in', f('issuer.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-days', '30', '-extfile', f('ext'), '-out', f('issuer.pem')]);
  const cert = new crypto.X509Certificate(fs.readFileSync(f('issuer.pem')));
  return {caPem: fs.readFileSync(f('ca.pem'), 'utf8'), x5c: [cert.raw.toString('base64')],
    key: crypto.createPrivateKey(fs.readFileSync(f('issuer.key')))};
}

describe('wallet sign-in: a PID from @sd-jwt/sd-jwt-vc, presented to oorkonde', () => {
  let dir; let srv; let base; let trusted; let untrusted; let holder;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ok-wallet-signin-'));
    const data = path.join(dir, 'data');
    oorkondeOk(['init', '--host', HOST], {data});
    oorkondeOk(['institution', 'add', '--code', '21PB', '--name', 'Rijksuniversiteit Groningen',
      '--country', 'NL'], {data});
    const csv = path.join(dir, 'rows.csv');
    fs.writeFileSync(csv, 'record_id,national_id,given_names,family_name,birth_date,kind,title,' +
      'programme_code,eqf_level,credits,grade,grading_scheme,awarded_on,language\n' +
      `I-1,${BSN},Beatrix,Interop,2001-02-03,degree,MSc Interop,,7,120,8,NL 1-10,2024-07-01,en\n`);
    oorkondeOk(['import', csv, '--institution', '21PB'], {data});
    const achievements = JSON.parse(oorkondeOk(['achievements', '--national-id', BSN, '--json'],
      {data}));
    holder = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    const jwkFile = path.join(dir, 'holder.jwk');
    fs.writeFileSync(jwkFile, JSON.stringify(holder.publicKey.export({format: 'jwk'})));
    // The depository's wallet key, which signs its request objects.
    oorkondeOk(['issue', achievements[0].id, '--format', 'sd-jwt', '--holder-jwk', jwkFile], {data});
    trusted = pidProvider(path.join(dir, 'pid'));
    untrusted = pidProvider(path.join(dir, 'other-pid'));
    fs.writeFileSync(path.join(data, 'pid-ca.pem'), trusted.caPem);
    const cfgPath = path.join(data, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    cfg.wallet_signin = {pid_issuers: ['pid-ca.pem'], pid_iss: [`https://${PID_HOST}`],
      id_claim: CLAIM, id_scheme: 'NL:BSN', cross_device: true};
    fs.writeFileSync(cfgPath, JSON.stringify(cfg));
    const port = await freePort();
    srv = await serve(data, port);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    if(srv) {
      await srv.stop();
    }
    if(dir) {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  const local = url => base + new URL(url).pathname;

  async function pid(provider) {
    const lib = new SDJwtVcInstance({hasher: digest, saltGenerator: generateSalt,
      signer: es256(provider.key), signAlg: 'ES256', loadTypeMetadataFormat: false});
    const now = Math.floor(Date.now() / 1000);
    return lib.issue({iss: `https://${PID_HOST}`, vct: 'urn:eudi:pid:1', iat: now,
      exp: now + 3600, cnf: {jwk: holder.publicKey.export({format: 'jwk'})},
      [CLAIM]: BSN, issuing_country: 'NL', family_name: 'Interop', given_name: 'Beatrix',
      birthdate: '2001-02-03'},
    {_sd: [CLAIM, 'issuing_country', 'family_name', 'given_name', 'birthdate']},
    {header: {x5c: provider.x5c}});
  }

  /** The browser: starts the sign-in and keeps its cookie; returns the wallet link. */
  async function start() {
    const r = await fetch(base + '/signin/wallet', {method: 'POST', redirect: 'manual',
      headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'device=cross'});
    assert.equal(r.status, 303);
    const cookie = r.headers.get('set-cookie').split(';')[0];
    const page = await (await fetch(base + '/signin/wallet/wait', {headers: {cookie}})).text();
    const link = page.match(/id="wallet-link" href="([^"]+)"/)[1].replaceAll('&amp;', '&');
    return {cookie, link};
  }

  async function walletAnswers(link, provider, expect = 200) {
    const client = new Openid4vpClient({callbacks: {
      fetch: (url, init) => fetch(local(String(url)), init),
      hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase())
        .update(data).digest()),
      verifyJwt: async (signer, jwt) => {
        assert.equal(signer.method, 'x5c');
        const key = new crypto.X509Certificate(Buffer.from(signer.x5c[0], 'base64')).publicKey;
        await jose.compactVerify(jwt.compact, key);
        return {verified: true, signerJwk: key.export({format: 'jwk'})};
      },
      getX509CertificateMetadata: cert => {
        const c = new crypto.X509Certificate(Buffer.from(cert, 'base64'));
        const names = (c.subjectAltName || '').split(', ');
        return {sanDnsNames: names.filter(n => n.startsWith('DNS:')).map(n => n.slice(4)),
          sanUriNames: names.filter(n => n.startsWith('URI:')).map(n => n.slice(4))};
      },
    }});
    const parsed = client.parseOpenid4vpAuthorizationRequest({authorizationRequest: link});
    const resolved = await client.resolveOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: parsed.params});
    assert.equal(resolved.client.effective, `x509_san_dns:${HOST}`);
    const req = resolved.authorizationRequestPayload;
    const q = req.dcql_query.credentials[0];
    assert.deepEqual(q.meta.vct_values, ['urn:eudi:pid:1']);
    assert.deepEqual(q.claims, [{path: [CLAIM]}, {path: ['issuing_country']}]);
    const lib = new SDJwtVcInstance({hasher: digest, saltGenerator: generateSalt,
      kbSigner: es256(holder.privateKey), kbSignAlg: 'ES256', loadTypeMetadataFormat: false});
    const presented = await lib.present(await pid(provider), {[CLAIM]: true,
      issuing_country: true}, {kb: {payload: {
      iat: Math.floor(Date.now() / 1000), aud: resolved.client.effective, nonce: req.nonce}}});
    const r = await fetch(local(req.response_uri), {method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams({vp_token: JSON.stringify({[q.id]: [presented]}),
        state: req.state}).toString()});
    assert.equal(r.status, expect, await r.clone().text());
    return r;
  }

  async function done(cookie) {
    const r = await fetch(base + '/signin/wallet/done', {headers: {cookie}, redirect: 'manual'});
    const session = (r.headers.getSetCookie?.() || [r.headers.get('set-cookie')])
      .map(c => c.split(';')[0]).find(c => c.startsWith('__Host-oorkonde_session=') ||
        c.startsWith('oorkonde_session='));
    return {status: r.status, session};
  }

  test('the PID of a configured provider signs the learner in', async () => {
    const {cookie, link} = await start();
    await walletAnswers(link, trusted);
    const {status, session} = await done(cookie);
    assert.equal(status, 200);
    assert.ok(session, 'a session cookie');
    const me = await fetch(base + '/v1/me', {headers: {cookie: session}});
    assert.equal(me.status, 200);
    assert.equal((await me.json()).learner.family_name, 'Interop');
  });

  test('a PID of a provider that is not configured gets no session', async () => {
    const {cookie, link} = await start();
    // Only a PID that verifies closes a sign-in: the wallet is told why, and the browser's
    // sign-in stays open (no session) until it expires.
    const r = await walletAnswers(link, untrusted, 400);
    const body = await r.json();
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /not verified.*stays open/);
    const {status, session} = await done(cookie);
    assert.equal(status, 303);
    assert.equal(session, undefined);
  });
});
