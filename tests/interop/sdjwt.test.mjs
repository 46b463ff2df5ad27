// oorkonde's SD-JWT VC credentials against independent code: the OpenWallet Foundation's
// `@sd-jwt/sd-jwt-vc` verifies what `oorkonde issue --format sd-jwt` made (issuer key from the
// x5c chain, which node's X509Certificate checks up to the depository's wallet CA), checks its
// status in the Token Status List that `oorkonde serve` signs (`jose` verifies that token too),
// and presents a subset of the claims with a key-binding JWT that oorkonde then verifies.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import zlib from 'node:zlib';

import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import * as jose from 'jose';

import {demoDepository, freePort, oorkonde, oorkondeOk, serve} from './lib.mjs';

const HOST = 'wallet.example.nl';

/** The issuer's key from x5c, after checking each certificate against the next and the last
 * against the trusted root (the depository's own wallet CA). */
function issuerKey(header, root) {
  const certs = header.x5c.map(b64 => new crypto.X509Certificate(Buffer.from(b64, 'base64')));
  for(let i = 0; i + 1 < certs.length; i++) {
    assert.ok(certs[i].verify(certs[i + 1].publicKey), `certificate ${i + 1} not issued by the next`);
  }
  const last = certs[certs.length - 1];
  assert.ok(last.verify(root.publicKey), 'the chain does not lead to the trusted root');
  assert.ok(certs[0].checkHost(HOST), 'the issuer certificate does not name the host');
  return certs[0].publicKey;
}

const es256Verifier = key => async (data, sig) =>
  crypto.verify('sha256', Buffer.from(data), {key, dsaEncoding: 'ieee-p1363'},
    Buffer.from(sig, 'base64url'));

describe('SD-JWT VC with @sd-jwt/sd-jwt-vc and jose', () => {
  let dep; let srv; let base; let root; let holder; let holderJwk; let achievement; let credential;

  before(async () => {
    dep = demoDepository({learners: 1, host: HOST});
    const chain = fs.readFileSync(path.join(dep.data, 'wallet-chain.pem'), 'utf8');
    const pems = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
    root = new crypto.X509Certificate(pems[pems.length - 1]);
    holder = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    holderJwk = holder.publicKey.export({format: 'jwk'});
    const jwkFile = path.join(dep.dir, 'holder.jwk');
    fs.writeFileSync(jwkFile, JSON.stringify(holderJwk));
    achievement = dep.achievements.find(a => a.kind === 'degree') || dep.achievements[0];
    credential = oorkondeOk(['issue', achievement.id, '--format', 'sd-jwt', '--holder-jwk',
      jwkFile], {data: dep.data}).trim();
    const port = await freePort();
    srv = await serve(dep.data, port);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    if(srv) {
      await srv.stop();
    }
    dep?.cleanup();
  });

  function instance(key, extra = {}) {
    return new SDJwtVcInstance({
      hasher: digest,
      saltGenerator: generateSalt,
      verifier: es256Verifier(key),
      kbVerifier: async (data, sig, payload) => crypto.verify('sha256', Buffer.from(data),
        {key: crypto.createPublicKey({key: payload.cnf.jwk, format: 'jwk'}),
          dsaEncoding: 'ieee-p1363'}, Buffer.from(sig, 'base64url')),
      kbSigner: async data => crypto.sign('sha256', Buffer.from(data),
        {key: holder.privateKey, dsaEncoding: 'ieee-p1363'}).toString('base64url'),
      kbSignAlg: 'ES256',
      // Status lists come from the depository on loopback, whatever host the URI names.
      statusListFetcher: async uri => {
        const r = await fetch(base + new URL(uri).pathname);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/statuslist+jwt');
        return r.text();
      },
      loadTypeMetadataFormat: false,
      ...extra
    });
  }

  test('the library verifies the issued credential, its chain and its status', async () => {
    const header = JSON.parse(Buffer.from(credential.split('.')[0], 'base64url'));
    assert.equal(header.typ, 'dc+sd-jwt');
    assert.equal(header.alg, 'ES256');
    const key = issuerKey(header, root);
    const result = await instance(key).verify(credential);
    const claims = result.payload;
    assert.equal(claims.iss, `https://${HOST}`);
    assert.equal(claims.vct, `https://${HOST}/vct/${achievement.kind}`);
    assert.deepEqual(claims.cnf.jwk, holderJwk);
    assert.equal(claims.title, achievement.title);
    assert.equal(typeof claims.given_name, 'string');
    assert.equal(claims.institution.code, achievement.institution);
  });

  test('jose verifies the status list token; the entry is valid', async () => {
    const header = JSON.parse(Buffer.from(credential.split('.')[0], 'base64url'));
    const payload = JSON.parse(Buffer.from(credential.split('.')[1], 'base64url'));
    const {idx, uri} = payload.status.status_list;
    const token = await (await fetch(base + new URL(uri).pathname)).text();
    const {payload: body, protectedHeader} = await jose.compactVerify(token,
      issuerKey(header, root));
    assert.equal(protectedHeader.typ, 'statuslist+jwt');
    const list = JSON.parse(new TextDecoder().decode(body));
    assert.equal(list.sub, uri);
    assert.equal(list.status_list.bits, 2);
    const bytes = zlib.inflateSync(Buffer.from(list.status_list.lst, 'base64url'));
    assert.equal((bytes[idx >> 2] >> ((idx % 4) * 2)) & 3, 0);
  });

  test('a presentation made by the library verifies in oorkonde', async () => {
    const header = JSON.parse(Buffer.from(credential.split('.')[0], 'base64url'));
    const lib = instance(issuerKey(header, root));
    const nonce = crypto.randomBytes(12).toString('base64url');
    const presented = await lib.present(credential, {title: true, grade: true},
      {kb: {payload: {iat: Math.floor(Date.now() / 1000), aud: 'https://employer.example',
        nonce}}});
    // The library itself accepts its presentation, and sees only what was chosen.
    const own = await lib.verify(presented, {keyBindingNonce: nonce});
    assert.equal(own.payload.given_name, undefined);
    assert.equal(own.payload.title, achievement.title);

    const ok = oorkonde(['verify', '-', '--json', '--challenge', nonce, '--domain',
      'https://employer.example'], {data: dep.data, input: presented});
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.verified, true);
    assert.equal(report.achievement.title, achievement.title);
    assert.equal(report.holder.name, null);
    // Another nonce than the one asked for: refused.
    const bad = oorkonde(['verify', '-', '--challenge', 'other'], {data: dep.data,
      input: presented});
    assert.equal(bad.status, 1);
  });

  test('after oorkonde revoke, the library and oorkonde both say so', async () => {
    oorkondeOk(['revoke', achievement.id, '--reason', 'interop'], {data: dep.data});
    const header = JSON.parse(Buffer.from(credential.split('.')[0], 'base64url'));
    await assert.rejects(instance(issuerKey(header, root)).verify(credential), /[Ss]tatus/);
    const r = oorkonde(['verify', '-'], {data: dep.data, input: credential});
    assert.equal(r.status, 1);
    assert.match(r.stdout, /revoked/);
  });
});
