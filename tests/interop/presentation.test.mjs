// Presentations made by Digital Bazaar's `@digitalbazaar/vc` (createPresentation and
// signPresentation with the eddsa-jcs-2022 suite, a did:key holder, a challenge and a domain),
// carrying oorkonde's own credentials, verified by `oorkonde verify`: valid with the challenge and
// domain they were made for, not valid with another, and a revoked credential inside reported as
// revoked while the presentation's own proof holds. And the other way: a presentation made by
// `oorkonde present` (the depository as holder, passing credentials on to another depository)
// verified by Digital Bazaar's `vc.verify`, which refuses it for another challenge or domain.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createSignCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';

import {
  demoDepository, didKeyIdentity, makeLoader, oorkonde, oorkondeOk, vc, verifySuite
} from './lib.mjs';

const CHALLENGE = 'interop-challenge-42';
const DOMAIN = 'verifier.example.org';

/** A presentation of credentials signed by holder with Digital Bazaar's stack. */
async function dbPresent(credentials, holder, {challenge = CHALLENGE, domain = DOMAIN} = {}) {
  const presentation = vc.createPresentation({
    verifiableCredential: structuredClone(credentials), holder: holder.did
  });
  const suite = new DataIntegrityProof({
    signer: holder.keyPair.signer(), cryptosuite: createSignCryptosuite()
  });
  return vc.signPresentation({
    presentation, suite, challenge, domain, documentLoader: makeLoader()
  });
}

/** oorkonde verify --json of a presentation, with the options given. */
function verifyVp(dep, vp, ...args) {
  const file = path.join(dep.dir, 'vp.json');
  fs.writeFileSync(file, JSON.stringify(vp));
  const r = oorkonde(['verify', file, '--json', ...args], {data: dep.data});
  return {...r, result: JSON.parse(r.stdout)};
}

describe('presentations made by @digitalbazaar/vc, verified by oorkonde', () => {
  let dep, holder, credentials;

  before(async () => {
    dep = demoDepository();
    holder = await didKeyIdentity();
    credentials = dep.achievements.slice(0, 2).map(a => JSON.parse(dep.issue(a.id)));
  });
  after(() => dep.cleanup());

  test('valid with the challenge and domain it was made for', async () => {
    const vp = await dbPresent(credentials, holder);
    assert.equal(vp.proof.cryptosuite, 'eddsa-jcs-2022');
    assert.equal(vp.proof.proofPurpose, 'authentication');
    const r = verifyVp(dep, vp, '--challenge', CHALLENGE, '--domain', DOMAIN);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.result.verified, true);
    assert.equal(r.result.presentationResult.holder, holder.did);
    assert.deepEqual(r.result.presentationResult.checks.sort(), ['challenge', 'domain', 'holder', 'proof']);
    assert.deepEqual(r.result.credentialResults.map(c => c.verified), [true, true]);
  });

  test('not valid with another challenge or domain', async () => {
    const vp = await dbPresent(credentials, holder);
    let r = verifyVp(dep, vp, '--challenge', 'another', '--domain', DOMAIN);
    assert.equal(r.status, 1);
    assert.deepEqual(r.result.presentationResult.errors.map(e => e.check).sort(),
      ['challenge', 'proof']);
    r = verifyVp(dep, vp, '--challenge', CHALLENGE, '--domain', 'evil.example');
    assert.equal(r.status, 1);
  });

  test('altered after signing: the presentation proof fails', async () => {
    const vp = await dbPresent(credentials, holder);
    vp.verifiableCredential.pop();
    const r = verifyVp(dep, vp, '--challenge', CHALLENGE);
    assert.equal(r.status, 1);
    assert.equal(r.result.presentationResult.errors[0].check, 'proof');
  });

  test('a revoked credential inside is reported as revoked', async () => {
    const id = dep.achievements[2].id;
    const revoked = JSON.parse(dep.issue(id));
    const out = oorkonde(['revoke', id, '--reason', 'interop test'], {data: dep.data});
    assert.equal(out.status, 0, out.stderr);
    const vp = await dbPresent([credentials[0], revoked], holder);
    const r = verifyVp(dep, vp, '--challenge', CHALLENGE, '--domain', DOMAIN);
    assert.equal(r.status, 1);
    assert.equal(r.result.presentationResult.verified, true);
    assert.deepEqual(r.result.credentialResults.map(c => c.headline.state),
      ['verified', 'revoked']);
  });
});

describe('presentations made by oorkonde present, verified by @digitalbazaar/vc', () => {
  let dep, vp;

  before(() => {
    dep = demoDepository();
    const files = dep.achievements.slice(0, 2).map((a, i) => {
      const file = path.join(dep.dir, `c${i}.json`);
      fs.writeFileSync(file, dep.issue(a.id));
      return file;
    });
    vp = JSON.parse(oorkondeOk(['present', ...files, '--challenge', CHALLENGE, '--domain',
      DOMAIN], {data: dep.data}));
  });
  after(() => dep.cleanup());

  /** Digital Bazaar's full presentation verification (status lists are not fetched here). */
  function dbVerify(presentation, {challenge = CHALLENGE, domain = DOMAIN} = {}) {
    return vc.verify({
      presentation: structuredClone(presentation), challenge, domain, suite: verifySuite(),
      documentLoader: makeLoader(), checkStatus: async () => ({verified: true})
    });
  }

  test('verified, presentation and every credential', async () => {
    assert.equal(vp.holder, dep.did);
    const result = await dbVerify(vp);
    assert.equal(result.verified, true, JSON.stringify(result, null, 1).slice(0, 2000));
    assert.equal(result.presentationResult.verified, true);
    assert.deepEqual(result.credentialResults.map(c => c.verified), [true, true]);
  });

  test('refused for another challenge or domain, or altered', async () => {
    assert.equal((await dbVerify(vp, {challenge: 'another'})).verified, false);
    assert.equal((await dbVerify(vp, {domain: 'evil.example'})).verified, false);
    const altered = structuredClone(vp);
    altered.verifiableCredential.pop();
    assert.equal((await dbVerify(altered)).verified, false);
  });
});
