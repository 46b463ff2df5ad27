// VC-JOSE tokens made by `jose` (an independent JWS implementation) verify with oorkonde; tokens
// whose key is not the issuer's, or that are altered, do not.
import assert from 'node:assert/strict';
import {before, describe, test} from 'node:test';

import * as jose from 'jose';

import {didKeyIdentity, OB_303, oorkondeVerify, privateKeyFromSeed, VC_V2} from './lib.mjs';

async function joseKey(identity) {
  const jwk = privateKeyFromSeed(identity.seed).export({format: 'jwk'});
  return jose.importJWK({...jwk, alg: 'EdDSA'}, 'EdDSA');
}

function credential(did) {
  return {
    '@context': [VC_V2, OB_303], id: 'urn:uuid:00000000-0000-4000-8000-000000000001',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: did, type: ['Profile'], name: 'jose depot'},
    validFrom: '2024-01-01T00:00:00Z',
    credentialSubject: {
      type: ['AchievementSubject'],
      achievement: {id: 'urn:example:a', type: ['Achievement'], name: 'Ünïcode 😀 1e21',
        criteria: {narrative: 'x'}}
    }
  };
}

async function sign(payload, identity, header = {}) {
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({alg: 'EdDSA', kid: identity.vm, typ: 'vc+jwt', ...header})
    .sign(await joseKey(identity));
}

describe('VC-JOSE tokens signed by jose verify with oorkonde', () => {
  let alice;
  let mallory;
  before(async () => {
    alice = await didKeyIdentity(Buffer.alloc(32, 0x31));
    mallory = await didKeyIdentity(Buffer.alloc(32, 0x32));
  });

  test('a token signed by jose: exit 0 with --any-issuer', async () => {
    const token = await sign(credential(alice.did), alice);
    const r = oorkondeVerify(token);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.result.verified, true);
  });

  test('without typ it still verifies (typ is optional); another typ does not', async () => {
    const noTyp = await new jose.CompactSign(
      new TextEncoder().encode(JSON.stringify(credential(alice.did))))
      .setProtectedHeader({alg: 'EdDSA', kid: alice.vm}).sign(await joseKey(alice));
    assert.equal(oorkondeVerify(noTyp).status, 0);
    const jwtTyp = await sign(credential(alice.did), alice, {typ: 'JWT'});
    assert.notEqual(oorkondeVerify(jwtTyp).status, 0);
  });

  test('a token signed with a key that is not the issuer\'s: exit 1', async () => {
    const token = await sign(credential(alice.did), mallory);
    const r = oorkondeVerify(token);
    assert.equal(r.status, 1);
    assert.match(r.result.errors[0].detail, /does not belong to the issuer/);
  });

  test('the issuer\'s kid but another key\'s signature: exit 1', async () => {
    const token = await sign(credential(alice.did), {...mallory, vm: alice.vm});
    const r = oorkondeVerify(token);
    assert.equal(r.status, 1);
    assert.match(r.result.errors[0].detail, /changed after it was signed/);
  });

  test('an altered payload: exit 1', async () => {
    const token = await sign(credential(alice.did), alice);
    const [h, , s] = token.split('.');
    const changed = credential(alice.did);
    changed.credentialSubject.achievement.name = 'Doctor';
    const p = Buffer.from(JSON.stringify(changed)).toString('base64url');
    assert.equal(oorkondeVerify(`${h}.${p}.${s}`).status, 1);
  });

  test('alg none is refused', async () => {
    const token = new jose.UnsecuredJWT(credential(alice.did)).encode();
    assert.notEqual(oorkondeVerify(token).status, 0);
  });
});
