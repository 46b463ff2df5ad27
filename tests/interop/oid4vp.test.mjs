// oorkonde as an OpenID4VP 1.0 verifier, with the wallet played by independent code: the
// OpenWallet Foundation's `@openid4vc/openid4vp` resolves the request as a wallet does; `jose`
// checks the signed request object (x5c up to the depository's wallet CA, node's
// X509Certificate for the chain and the host, the x509_san_dns client id), the OpenWallet
// Foundation's `@sd-jwt/sd-jwt-vc` presents what the DCQL query asks for with a key-binding JWT,
// and the answer is posted to the response URI as a form (direct_post) or as a JWE that `jose`
// encrypts to the request's key (direct_post.jwt). Then each bad answer of issue 18. Asked for a
// W3C credential (ldp_vc), Digital Bazaar's `@digitalbazaar/vc` signs the presentation with the
// request's nonce as challenge and client id as domain, as the learner's did:key holder.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {Openid4vpClient} from '@openid4vc/openid4vp';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createSignCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as jose from 'jose';

import {demoDepository, didKeyIdentity, es256, freePort, makeLoader, oorkondeOk, serve, vc}
  from './lib.mjs';

const HOST = 'verifier.example.nl';
const OTHER_HOST = 'elsewhere.example.org';

function rootOf(data) {
  const chain = fs.readFileSync(path.join(data, 'wallet-chain.pem'), 'utf8');
  const pems = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
  return new crypto.X509Certificate(pems[pems.length - 1]);
}

/** The leaf key of an x5c chain that leads to root and names host. */
function x5cKey(x5c, root, host) {
  const certs = x5c.map(b64 => new crypto.X509Certificate(Buffer.from(b64, 'base64')));
  for(let i = 0; i + 1 < certs.length; i++) {
    assert.ok(certs[i].verify(certs[i + 1].publicKey), `certificate ${i + 1} not issued by the next`);
  }
  assert.ok(certs[certs.length - 1].verify(root.publicKey), 'the chain does not lead to the root');
  assert.ok(certs[0].checkHost(host), 'the certificate does not name the host');
  return certs[0].publicKey;
}

describe('OpenID4VP: a wallet made of jose and @sd-jwt/sd-jwt-vc answers oorkonde', () => {
  let dep; let other; let srv; let base; let root; let holder; let stranger; let achievement;
  let credential; let foreignCredential;

  before(async () => {
    dep = demoDepository({learners: 1, host: HOST});
    other = demoDepository({learners: 1, host: OTHER_HOST});
    root = rootOf(dep.data);
    holder = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    stranger = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    const jwkFile = path.join(dep.dir, 'holder.jwk');
    fs.writeFileSync(jwkFile, JSON.stringify(holder.publicKey.export({format: 'jwk'})));
    achievement = dep.achievements.find(a => a.kind === 'degree') || dep.achievements[0];
    credential = oorkondeOk(['issue', achievement.id, '--format', 'sd-jwt', '--holder-jwk',
      jwkFile], {data: dep.data}).trim();
    const otherAchievement = other.achievements.find(a => a.kind === achievement.kind) ||
      other.achievements[0];
    foreignCredential = oorkondeOk(['issue', otherAchievement.id, '--format', 'sd-jwt',
      '--holder-jwk', jwkFile], {data: other.data}).trim();
    const port = await freePort();
    srv = await serve(dep.data, port);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    if(srv) {
      await srv.stop();
    }
    dep?.cleanup();
    other?.cleanup();
  });

  /** The depository's own URLs name its host; the test reaches it on loopback. */
  const local = url => base + new URL(url).pathname;

  async function ask(extra = {}) {
    const body = {kinds: [achievement.kind], claims: ['birthdate'], label: 'Interop employer',
      requester: 'Interop employer',
      ...extra};
    const r = await fetch(base + '/request', {method: 'POST',
      headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
    assert.equal(r.status, 201, await r.clone().text());
    return r.json();
  }

  /** What a wallet does with the openid4vp:// link: fetch and check the request object. */
  async function resolve(link) {
    const u = new URL(link);
    assert.equal(u.protocol, 'openid4vp:');
    const clientId = u.searchParams.get('client_id');
    const r = await fetch(local(u.searchParams.get('request_uri')));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/oauth-authz-req+jwt');
    const jwt = await r.text();
    const header = jose.decodeProtectedHeader(jwt);
    assert.equal(header.typ, 'oauth-authz-req+jwt');
    assert.equal(header.alg, 'ES256');
    assert.equal(clientId, `x509_san_dns:${HOST}`);
    const key = x5cKey(header.x5c, root, clientId.slice('x509_san_dns:'.length));
    const {payload} = await jose.jwtVerify(jwt, key, {typ: 'oauth-authz-req+jwt',
      audience: 'https://self-issued.me/v2'});
    assert.equal(payload.client_id, clientId);
    assert.equal(payload.response_type, 'vp_token');
    assert.ok(payload.nonce && payload.state);
    return payload;
  }

  /** A presentation of what the DCQL query asks for (paths of names), bound to the request. */
  async function present(req, {sdjwt = credential, omit = [], nonce = req.nonce,
    aud = req.client_id, signer = holder.privateKey} = {}) {
    const frame = {};
    for(const c of req.dcql_query.credentials[0].claims) {
      if(omit.includes(c.path.join('.'))) {
        continue;
      }
      let at = frame;
      c.path.forEach((p, i) => {
        if(i + 1 === c.path.length) {
          at[p] = true;
        } else {
          at = at[p] = at[p] || {};
        }
      });
    }
    const lib = new SDJwtVcInstance({hasher: digest, saltGenerator: generateSalt,
      kbSigner: es256(signer), kbSignAlg: 'ES256', loadTypeMetadataFormat: false});
    return lib.present(sdjwt, frame, {kb: {payload: {iat: Math.floor(Date.now() / 1000), aud,
      nonce}}});
  }

  async function post(req, fields) {
    const r = await fetch(local(req.response_uri), {method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams(fields).toString()});
    return {status: r.status, body: await r.json()};
  }

  async function answer(req, presentation) {
    return post(req, {vp_token: JSON.stringify({result: [presentation]}), state: req.state});
  }

  async function outcome(made) {
    const r = await fetch(local(made.status_url));
    assert.equal(r.status, 200);
    return r.json();
  }

  test('the request object is signed, names the client and asks with DCQL', async () => {
    const made = await ask({min_eqf_level: 1});
    const req = await resolve(made.authorization_request);
    const q = req.dcql_query.credentials[0];
    assert.equal(q.format, 'dc+sd-jwt');
    assert.deepEqual(q.meta.vct_values, [`https://${HOST}/vct/${achievement.kind}`]);
    const paths = q.claims.map(c => c.path.join('.'));
    for(const p of ['given_name', 'family_name', 'title', 'institution.name', 'birthdate',
      'eqf_level']) {
      assert.ok(paths.includes(p), p);
    }
    assert.equal(req.response_mode, 'direct_post');
    assert.equal(req.response_uri, `https://${HOST}/oid4vp/requests/${made.id}/response`);
    assert.match(made.qr_svg, /^<svg/);
    assert.equal((await outcome(made)).status, 'pending');
  });

  test('a presentation of what was asked is verified, and the verifier sees who and what',
    async () => {
      const made = await ask();
      const req = await resolve(made.authorization_request);
      const r = await answer(req, await present(req));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const o = await outcome(made);
      assert.equal(o.status, 'verified', JSON.stringify(o.result));
      assert.equal(o.result.verified, true);
      const c = o.result.credentials[0];
      assert.equal(c.report.achievement.title, achievement.title);
      assert.ok(c.report.holder.name);
      assert.ok(c.report.holder.birth_date);
      // A response can be used once: the same answer again is refused.
      const again = await answer(req, await present(req));
      assert.equal(again.status, 400);
      assert.equal(again.body.error, 'invalid_request');
      assert.equal((await outcome(made)).status, 'verified');
    });

  test('@openid4vc/openid4vp resolves the request as a wallet does, and its answer verifies',
    async () => {
      const made = await ask();
      const client = new Openid4vpClient({callbacks: {
        // The depository's URLs name its host; the test reaches it on loopback.
        fetch: (url, init) => fetch(local(String(url)), init),
        hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase())
          .update(data).digest()),
        verifyJwt: async (signer, jwt) => {
          assert.equal(signer.method, 'x5c');
          const key = x5cKey(signer.x5c, root, HOST);
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
      const parsed = client.parseOpenid4vpAuthorizationRequest({
        authorizationRequest: made.authorization_request});
      assert.equal(parsed.type, 'jar');
      const resolved = await client.resolveOpenId4vpAuthorizationRequest({
        authorizationRequestPayload: parsed.params});
      assert.equal(resolved.client.prefix, 'x509_san_dns');
      assert.equal(resolved.client.effective, `x509_san_dns:${HOST}`);
      assert.equal(resolved.version, 100);
      const req = resolved.authorizationRequestPayload;
      assert.deepEqual(resolved.dcql.query, req.dcql_query);
      const r = await answer(req, await present(req, {aud: resolved.client.effective}));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((await outcome(made)).status, 'verified');
    });

  test('direct_post.jwt: the answer encrypted with jose to the request key', async () => {
    const made = await ask({response_mode: 'direct_post.jwt'});
    const req = await resolve(made.authorization_request);
    assert.equal(req.response_mode, 'direct_post.jwt');
    const jwk = req.client_metadata.jwks.keys[0];
    assert.equal(jwk.alg, 'ECDH-ES');
    for(const enc of ['A128GCM']) {
      const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(JSON.stringify({
        vp_token: {result: [await present(req)]}, state: req.state})))
        .setProtectedHeader({alg: 'ECDH-ES', enc, kid: jwk.kid})
        .encrypt(await jose.importJWK(jwk, 'ECDH-ES'));
      // In the clear, the request refuses the answer.
      const plain = await answer(req, await present(req));
      assert.equal(plain.status, 400);
      const r = await post(req, {response: jwe});
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    assert.equal((await outcome(made)).status, 'verified');
  });

  test('same device: the wallet is sent back to the result page', async () => {
    const made = await ask({same_device: true});
    const req = await resolve(made.authorization_request);
    const r = await answer(req, await present(req));
    assert.equal(r.status, 200);
    assert.equal(r.body.redirect_uri, made.result_url);
  });

  // An answer the holder's wallet did not bind to this request (another nonce, audience or
  // key, an untrusted issuer) could be posted by anyone who saw the link: refused, and the
  // request stays open for the real wallet. The holder's own answer that fails a check (a
  // claim left out) is the answer: not verified.
  const bad = [
    ['a key-binding JWT with another nonce', {nonce: 'not-the-request-nonce'}, /nonce/, true],
    ['a key-binding JWT for another audience', {aud: 'x509_san_dns:evil.example'}, /aud/, true],
    ['a key-binding JWT signed by another key', {stranger: true}, /holder's key/, true],
    ['a credential that leaves out a claim asked for', {omit: ['birthdate']}, /birthdate/, false],
    ['a credential of an untrusted issuer', {foreign: true}, /root|chain|certificate/i, true],
  ];
  for(const [what, how, why, open] of bad) {
    test(`not verified: ${what}`, async () => {
      const made = await ask();
      const req = await resolve(made.authorization_request);
      const p = await present(req, {nonce: how.nonce ?? req.nonce, aud: how.aud ?? req.client_id,
        omit: how.omit ?? [], sdjwt: how.foreign ? foreignCredential : credential,
        signer: how.stranger ? stranger.privateKey : holder.privateKey});
      const r = await answer(req, p);
      const o = await outcome(made);
      if (open) {
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.body.error, 'invalid_request');
        assert.match(r.body.error_description, /stays open/);
        assert.match(r.body.error_description, why);
        assert.equal(o.status, 'pending');
        const real = await answer(req, await present(req));
        assert.equal(real.status, 200, JSON.stringify(real.body));
        assert.equal((await outcome(made)).status, 'verified');
        return;
      }
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(o.status, 'not_verified');
      assert.equal(o.result.verified, false);
      assert.match(o.result.reason, why);
    });
  }

  test('malformed answers get the OpenID4VP error and leave the request open', async () => {
    const made = await ask();
    const req = await resolve(made.authorization_request);
    for(const fields of [{vp_token: 'not json', state: req.state},
      {vp_token: JSON.stringify({other: ['x~']}), state: req.state},
      {vp_token: JSON.stringify({result: [await present(req)]}), state: 'wrong'},
      {vp_token: JSON.stringify([]), state: req.state}]) {
      const r = await post(req, fields);
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'invalid_request');
    }
    assert.equal((await outcome(made)).status, 'pending');
    const r = await answer(req, await present(req));
    assert.equal(r.status, 200);
    assert.equal((await outcome(made)).status, 'verified');
  });

  test('ldp_vc: a presentation by @digitalbazaar/vc of a credential issued to its holder',
    async () => {
      const learner = await didKeyIdentity();
      const w3c = JSON.parse(oorkondeOk(['issue', achievement.id, '--holder-did', learner.did],
        {data: dep.data}));
      const dbPresent = async (req, who, credential = w3c) => vc.signPresentation({
        presentation: vc.createPresentation({verifiableCredential: [structuredClone(credential)],
          holder: who.did}),
        suite: new DataIntegrityProof({signer: who.keyPair.signer(),
          cryptosuite: createSignCryptosuite()}),
        challenge: req.nonce, domain: req.client_id, documentLoader: makeLoader()});
      let made = await ask({formats: ['ldp_vc']});
      let req = await resolve(made.authorization_request);
      assert.equal(req.dcql_query.credentials[0].format, 'ldp_vc');
      assert.ok(req.client_metadata.vp_formats_supported.ldp_vc);
      let r = await post(req, {vp_token: JSON.stringify({result: [await dbPresent(req, learner)]}),
        state: req.state});
      assert.equal(r.status, 200);
      let o = await outcome(made);
      assert.equal(o.status, 'verified', JSON.stringify(o.result));
      assert.equal(o.result.credentials[0].holder_bound, true);
      // The same credential presented by someone else's key: not the holder's answer, so
      // refused and the request left open.
      made = await ask({formats: ['ldp_vc']});
      req = await resolve(made.authorization_request);
      r = await post(req, {vp_token: JSON.stringify({result: [await dbPresent(req,
        await didKeyIdentity())]}), state: req.state});
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.body.error_description, /stays open/);
      assert.equal((await outcome(made)).status, 'pending');
      // A credential that names no holder (as a share link hands out), presented by
      // whoever holds it: refused (the request stays open); where the request accepts such,
      // verified_unbound.
      const unbound = JSON.parse(oorkondeOk(['issue', achievement.id], {data: dep.data}));
      for (const accept of [false, true]) {
        made = await ask({formats: ['ldp_vc'], accept_unbound: accept});
        req = await resolve(made.authorization_request);
        r = await post(req, {vp_token: JSON.stringify({result: [await dbPresent(req,
          await didKeyIdentity(), unbound)]}), state: req.state});
        o = await outcome(made);
        if (!accept) {
          assert.equal(r.status, 400, JSON.stringify(r.body));
          assert.equal(o.status, 'pending');
          continue;
        }
        assert.equal(r.status, 200);
        assert.equal(o.status, 'verified_unbound', JSON.stringify(o.result));
        assert.equal(o.result.credentials[0].verified, false);
        assert.equal(o.result.credentials[0].verified_unbound, true);
        assert.match(o.result.reason, /names no holder/);
      }
    });

  test('after oorkonde revoke, the answer is not verified: revoked', async () => {
    oorkondeOk(['revoke', achievement.id, '--reason', 'interop'], {data: dep.data});
    const made = await ask();
    const req = await resolve(made.authorization_request);
    await answer(req, await present(req));
    const o = await outcome(made);
    assert.equal(o.status, 'not_verified');
    assert.match(o.result.reason, /revoked/);
  });
});
