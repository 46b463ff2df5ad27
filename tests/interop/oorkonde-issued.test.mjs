// Credentials issued by oorkonde, checked by independent verifiers: Digital Bazaar's
// `verifyCredential` with eddsa-rdfc-2022, oorkonde's default (did:key and did:web issuers), JSON-LD expansion in safe
// mode (every term and IRI must be defined by the contexts), and `jose` for the VC-JOSE form.
// Altered credentials must fail there too.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as jose from 'jose';
import jsonld from 'jsonld';

import {
  dbVerifyCredential, dbVerifyProof, demoDepository, identityDocument, makeLoader, OB_303,
  staticDocuments, trickyDepository, VC_V2
} from './lib.mjs';

/** Every JSON-LD event (undefined term, relative IRI …) expansion reports, as readable text. */
async function safeModeProblems(credential, documentLoader = makeLoader()) {
  const events = [];
  await jsonld.expand(structuredClone(credential), {
    safe: false, documentLoader,
    eventHandler: ({event}) => {
      events.push(`${event.code}: ${JSON.stringify(event.details)}`);
    }
  });
  return events;
}

function explain(result) {
  const errs = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    errs.push(e.message || String(e));
    walk(e.errors);
  };
  walk(result.error);
  for(const r of result.results || []) {
    walk(r.error);
  }
  return errs.join('; ');
}

// Alterations: each returns a changed copy; all must make the proof fail.
const ALTERATIONS = {
  'learner name': c => {
    c.credentialSubject.identifier[0].identityHash += 'x';
  },
  'birth date': c => {
    const h = c.credentialSubject.identifier[1];
    h.identityHash = h.identityHash.replace(/.$/, d => (d === '0' ? '1' : '0'));
  },
  'achievement name': c => {
    c.credentialSubject.achievement.name = 'Doctor of Everything';
  },
  'credits earned': c => {
    c.credentialSubject.creditsEarned = 600;
  },
  'awarding institution': c => {
    c.credentialSubject.achievement.creator.name = 'Diploma Mill';
  },
  'issuer name': c => {
    c.issuer.name = 'Someone else';
  },
  'validFrom': c => {
    c.validFrom = '2000-01-01T00:00:00Z';
  },
  'an added property': c => {
    c.credentialSubject.achievement.fieldOfStudy = 'Medicine';
  },
  'proof created': c => {
    c.proof.created = '2001-01-01T00:00:00Z';
  },
  'proof signature': c => {
    const v = c.proof.proofValue;
    c.proof.proofValue = v.slice(0, 10) + (v[10] === 'A' ? 'B' : 'A') + v.slice(11);
  },
};

for(const [label, make] of [['did:key, demo data', () => demoDepository()],
  ['did:key, tricky data', () => trickyDepository()]]) {
  describe(`oorkonde-issued credentials (${label}) verify with @digitalbazaar/vc`, () => {
    let dep;
    const issued = [];
    before(() => {
      dep = make();
      // One of each kind the data set has, plus the first and last achievement.
      const pick = new Map();
      for(const a of dep.achievements) {
        if(!pick.has(a.kind)) {
          pick.set(a.kind, a);
        }
      }
      pick.set('last', dep.achievements.at(-1));
      for(const [kind, a] of pick) {
        issued.push({kind, id: a.id, credential: JSON.parse(dep.issue(a.id))});
      }
    });
    after(() => dep?.cleanup());

    test('the issuer is a did:key and the contexts are VC 2.0 + Open Badges 3.0.3', () => {
      assert.match(dep.did, /^did:key:z6Mk/);
      for(const {credential} of issued) {
        assert.deepEqual(credential['@context'], [VC_V2, OB_303]);
        assert.equal(credential.issuer.id, dep.did);
        assert.equal(credential.proof.cryptosuite, 'eddsa-rdfc-2022');
      }
    });

    test('verifyCredential accepts every credential, offline', async () => {
      for(const {kind, credential} of issued) {
        const requested = [];
        const result = await dbVerifyCredential(credential,
          {documentLoader: makeLoader({requested})});
        assert.equal(result.verified, true, `${kind}: ${explain(result)}`);
        // The DID, and (eddsa-rdfc-2022 reads the credential as JSON-LD) the static contexts.
        assert.ok(requested.every(u => u.startsWith(dep.did) || staticDocuments().has(u)),
          requested.join(' '));
      }
    });

    test('JSON-LD safe mode: every term and IRI is defined by the contexts', async () => {
      const problems = [];
      for(const {kind, credential} of issued) {
        for(const p of await safeModeProblems(credential)) {
          problems.push(`${kind}: ${p}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test('every alteration makes verifyCredential fail', async () => {
      const {credential} = issued.find(i => i.credential.credentialSubject.creditsEarned !==
        undefined) || issued[0];
      for(const [what, alter] of Object.entries(ALTERATIONS)) {
        const changed = structuredClone(credential);
        alter(changed);
        const result = await dbVerifyCredential(changed);
        assert.equal(result.verified, false, `altered ${what} still verified`);
      }
    });

    test('a verification method of another key fails the issuer/controller check', async () => {
      const {credential} = issued[0];
      const other = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
      const changed = structuredClone(credential);
      changed.proof.verificationMethod = `${other}#${other.slice(8)}`;
      const result = await dbVerifyCredential(changed);
      assert.equal(result.verified, false);
    });

    test('the JWT form verifies with jose (EdDSA, typ vc+jwt, kid = the did:key method)',
      async () => {
        const {id, credential} = issued[0];
        const token = dep.issue(id, 'jwt').trim();
        const header = jose.decodeProtectedHeader(token);
        assert.equal(header.alg, 'EdDSA');
        assert.equal(header.typ, 'vc+jwt');
        const multikey = dep.did.slice('did:key:'.length);
        assert.equal(header.kid, `${dep.did}#${multikey}`);
        const keyPair = await Ed25519Multikey.from({
          '@context': 'https://w3id.org/security/multikey/v1', type: 'Multikey',
          id: header.kid, controller: dep.did, publicKeyMultibase: multikey
        });
        const jwk = await Ed25519Multikey.toJwk({keyPair});
        const key = await jose.importJWK({...jwk, alg: 'EdDSA'}, 'EdDSA');
        const {payload, protectedHeader} = await jose.jwtVerify(token, key,
          {typ: 'vc+jwt', algorithms: ['EdDSA']});
        assert.equal(protectedHeader.kid, header.kid);
        assert.deepEqual(payload['@context'], credential['@context']);
        assert.equal(payload.issuer.id, dep.did);
        assert.equal(payload.proof, undefined);
        assert.deepEqual(payload.credentialSubject.achievement,
          credential.credentialSubject.achievement);
        const cv = await jose.compactVerify(token, key, {algorithms: ['EdDSA']});
        assert.deepEqual(JSON.parse(new TextDecoder().decode(cv.payload)), payload);

        // Altered payload, altered signature, alg none: all rejected.
        const [h, p, s] = token.split('.');
        const changed = JSON.parse(Buffer.from(p, 'base64url'));
        changed.credentialSubject.achievement.name = 'Doctor of Everything';
        const forged = `${h}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${s}`;
        await assert.rejects(jose.compactVerify(forged, key),
          {code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'});
        const flipped = s.slice(0, 5) + (s[5] === 'A' ? 'B' : 'A') + s.slice(6);
        await assert.rejects(jose.compactVerify(`${h}.${p}.${flipped}`, key),
          {code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'});
      });
  });
}

describe('oorkonde-issued credentials with a did:web issuer verify with @digitalbazaar/vc', () => {
  let dep;
  const host = 'diplomas.example.org';
  before(() => {
    dep = demoDepository({host});
  });
  after(() => dep?.cleanup());

  test('with the DID document from `oorkonde identity` as the only source of the key',
    async () => {
      assert.equal(dep.did, `did:web:${host}`);
      const didDoc = identityDocument(dep.data);
      assert.equal(didDoc.id, dep.did);
      const vm = didDoc.verificationMethod[0];
      const credential = JSON.parse(dep.issue(dep.achievements.at(-1).id));
      assert.equal(credential.proof.verificationMethod, vm.id);
      // The loader serves the DID document and its verification method (by id); jsigs asks for
      // the method, then the controller document.
      const documentLoader = makeLoader({extra: {[dep.did]: didDoc, [vm.id]: {
        '@context': 'https://w3id.org/security/multikey/v1', ...vm
      }}});
      const proofOnly = await dbVerifyProof(credential, {documentLoader});
      assert.equal(proofOnly.verified, true, explain(proofOnly));
      const full = await dbVerifyCredential(credential, {documentLoader});
      assert.equal(full.verified, true, explain(full));
      const changed = structuredClone(credential);
      changed.credentialSubject.achievement.name = 'x';
      assert.equal((await dbVerifyCredential(changed, {documentLoader})).verified, false);
    });
});
