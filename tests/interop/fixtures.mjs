// Credentials signed by Digital Bazaar's stack (did:key, eddsa-jcs-2022) with fixed keys and
// dates, so that they are reproducible. Written to fixtures/ by `node fixtures.mjs`; the e2e tests
// (tests/e2e/test_credentials.py) read them, as Python's standard library cannot sign Ed25519.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {dbIssue, didKeyIdentity, jcsProof, OB_303, VC_V2} from './lib.mjs';

export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const SEED = Buffer.alloc(32, 0x11);
const CREATED = '2024-06-01T10:00:00Z';

function diploma(did, extra = {}) {
  return {
    '@context': [VC_V2, OB_303],
    id: 'urn:uuid:6f1c3a4e-8d2b-4c1e-9a7f-0b5d2e3c4a10',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: did, type: ['Profile'], name: 'Norsk vitnemålsdepot (test)'},
    validFrom: '2024-06-01T00:00:00Z',
    name: 'Master i informatikk',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [{
        type: 'IdentityObject', identityHash: 'Kari Nordmann', identityType: 'name',
        hashed: false
      }],
      achievement: {
        id: 'urn:example:achievement:master-informatikk',
        type: ['Achievement'],
        achievementType: 'MasterDegree',
        name: 'Master i informatikk',
        description: 'Master degree in informatics, 120 ECTS.',
        criteria: {narrative: 'Completed the programme.'},
        creditsAvailable: 120
      },
      creditsEarned: 120
    },
    ...extra
  };
}

/** name -> {credential, how}: what each fixture is. */
export async function buildFixtures() {
  const identity = await didKeyIdentity(SEED);
  const out = {};
  // Signed with vc.issue (Digital Bazaar's signer, its own checks).
  out['db-valid.json'] = await dbIssue(diploma(identity.did), identity, {date: CREATED});
  // vc.issue refuses credentials outside their validity period on some versions; the same
  // algorithm by hand (checked equal to vc.issue in jcs.test.mjs) signs those.
  const sign = c => ({...c, proof: jcsProof(c, identity, {created: CREATED})});
  out['db-expired.json'] = sign(diploma(identity.did, {validUntil: '2024-12-31T23:59:59Z'}));
  out['db-not-yet-valid.json'] = sign(diploma(identity.did,
    {validFrom: '2099-01-01T00:00:00Z'}));
  return {identity, fixtures: out};
}

export function fixtureText(credential) {
  return JSON.stringify(credential, null, 2) + '\n';
}

if(process.argv[1] === fileURLToPath(import.meta.url)) {
  const {identity, fixtures} = await buildFixtures();
  fs.mkdirSync(FIXTURE_DIR, {recursive: true});
  for(const [name, credential] of Object.entries(fixtures)) {
    fs.writeFileSync(path.join(FIXTURE_DIR, name), fixtureText(credential));
  }
  fs.writeFileSync(path.join(FIXTURE_DIR, 'db-issuer.txt'), identity.did + '\n');
  console.log(`wrote ${Object.keys(fixtures).length} fixtures for ${identity.did}`);
}
