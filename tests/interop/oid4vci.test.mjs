// OpenID4VCI against an independent wallet-side library: the OpenWallet Foundation's
// `@openid4vc/openid4vci` resolves an offer made by `oorkonde wallet offer`, reads the issuer's
// metadata, takes a DPoP-bound access token, gets a c_nonce, signs proofs of two wallet keys and
// receives the credentials from `oorkonde serve`; `@sd-jwt/sd-jwt-vc` then verifies each one
// (issuer key from the x5c chain, up to the depository's wallet CA) and its binding to the key.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {Openid4vciClient} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import * as jose from 'jose';

import {demoDepository, freePort, oorkondeOk, serve} from './lib.mjs';

const HOST = 'wallet.example.nl';
const ISSUER = `https://${HOST}`;

describe('OpenID4VCI with @openid4vc/openid4vci as the wallet', () => {
  let dep; let srv; let base; let root; let client; let toLoopback;
  const keys = new Map(); // public JWK thumbprint → private key

  function walletKey() {
    const pair = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    const publicJwk = pair.publicKey.export({format: 'jwk'});
    keys.set(JSON.stringify(publicJwk), pair.privateKey);
    return {method: 'jwk', alg: 'ES256', publicJwk};
  }

  before(async () => {
    dep = demoDepository({learners: 1, host: HOST});
    const chain = fs.readFileSync(path.join(dep.data, 'wallet-chain.pem'), 'utf8');
    const pems = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
    root = new crypto.X509Certificate(pems[pems.length - 1]);
    const port = await freePort();
    srv = await serve(dep.data, port);
    base = `http://127.0.0.1:${port}`;
    // The issuer is https://wallet.example.nl; its server listens on loopback. Some of the
    // library's requests use the global fetch, so that one is redirected too.
    const realFetch = globalThis.fetch;
    toLoopback = (url, init) => {
      const u = new URL(url instanceof Request ? url.url : url);
      assert.equal(u.origin, ISSUER);
      return realFetch(base + u.pathname + u.search, init);
    };
    globalThis.fetch = toLoopback;
    client = new Openid4vciClient({callbacks: {
      fetch: toLoopback,
      hash: data => new Uint8Array(crypto.createHash('sha256').update(data).digest()),
      generateRandom: n => new Uint8Array(crypto.randomBytes(n)),
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: async (signer, {header, payload}) => {
        const key = keys.get(JSON.stringify(signer.publicJwk));
        assert.ok(key, 'a key of this wallet');
        const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
          .setProtectedHeader(header).sign(key);
        return {jwt, signerJwk: signer.publicJwk};
      }
    }});
  });

  after(async () => {
    if(srv) {
      await srv.stop();
    }
    dep?.cleanup();
  });

  function issuerKey(header) {
    const certs = header.x5c.map(b64 => new crypto.X509Certificate(Buffer.from(b64, 'base64')));
    for(let i = 0; i + 1 < certs.length; i++) {
      assert.ok(certs[i].verify(certs[i + 1].publicKey));
    }
    assert.ok(certs[certs.length - 1].verify(root.publicKey));
    return certs[0].publicKey;
  }

  test('offer, token with DPoP, nonce, two proofs, two bound credentials', async () => {
    const achievement = dep.achievements.find(a => a.kind === 'degree') || dep.achievements[0];
    const made = JSON.parse(oorkondeOk(['wallet', 'offer', '--learner-id',
      achievement.learner_id, '--achievements', achievement.id, '--json'], {data: dep.data}));
    const offer = await client.resolveCredentialOffer(made.link);
    assert.equal(offer.credential_issuer, ISSUER);
    assert.deepEqual(offer.credential_configuration_ids, [achievement.kind]);
    const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
    const dpopSigner = walletKey();
    const {accessTokenResponse, dpop} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer(
      {credentialOffer: offer, issuerMetadata, txCode: made.pin, dpop: {signer: dpopSigner}});
    assert.equal(accessTokenResponse.token_type, 'DPoP');
    const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
    const holders = [walletKey(), walletKey()];
    const proofs = [];
    for(const signer of holders) {
      const {jwt} = await client.createCredentialRequestJwtProof({issuerMetadata,
        credentialConfigurationId: achievement.kind, nonce, signer,
        issuedAt: new Date()});
      proofs.push(jwt);
    }
    const res = await client.retrieveCredentials({issuerMetadata,
      accessToken: accessTokenResponse.access_token, credentialConfigurationId: achievement.kind,
      proofs: {jwt: proofs}, dpop});
    const creds = res.credentialResponse.credentials.map(c => c.credential);
    assert.equal(creds.length, 2);
    for(const [i, credential] of creds.entries()) {
      const header = JSON.parse(Buffer.from(credential.split('.')[0], 'base64url'));
      const key = issuerKey(header);
      const lib = new SDJwtVcInstance({hasher: digest, saltGenerator: generateSalt,
        verifier: async (data, sig) => crypto.verify('sha256', Buffer.from(data),
          {key, dsaEncoding: 'ieee-p1363'}, Buffer.from(sig, 'base64url')),
        loadTypeMetadataFormat: false});
      const {payload} = await lib.verify(credential);
      assert.equal(payload.iss, ISSUER);
      assert.equal(payload.vct, `${ISSUER}/vct/${achievement.kind}`);
      assert.deepEqual(payload.cnf.jwk, holders[i].publicJwk);
      assert.equal(payload.title, achievement.title);
    }
    // The same nonce again is refused, as a wallet library sees it.
    await assert.rejects(client.retrieveCredentials({issuerMetadata,
      accessToken: accessTokenResponse.access_token, credentialConfigurationId: achievement.kind,
      proofs: {jwt: [proofs[0]]}, dpop}), /invalid_nonce|nonce/);
  });
});
