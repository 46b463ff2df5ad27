// eddsa-rdfc-2022 both ways, offline, with a document loader that serves only oorkonde's pinned
// contexts (the files of src/vc/contexts, as its README maps them to URLs) and did:key:
// - Digital Bazaar's `@digitalbazaar/eddsa-rdfc-2022-cryptosuite` (inside @digitalbazaar/vc)
//   verifies the credentials and presentations oorkonde signs with it, and refuses altered ones;
// - oorkonde verifies a credential Digital Bazaar signs with it (a did:key issuer of its own): the
//   data-model, proof and issuer checks run; the issuer check fails for that untrusted issuer
//   unless --any-issuer is given;
// - `@digitalbazaar/vc-bitstring-status-list` decodes a status list fetched from `oorkonde serve`
//   by an ordinary JSON client (Accept: application/json).
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {decodeList} from '@digitalbazaar/vc-bitstring-status-list';

import {
  BIN, demoDepository, didKeyIdentity, oorkondeOk, oorkondeVerify, ROOT, vc
} from './lib.mjs';

const CONTEXTS = path.join(ROOT, 'src', 'vc', 'contexts');

/** URL -> parsed pinned context, read from the table of src/vc/contexts/README.md. */
function pinnedContexts() {
  const readme = fs.readFileSync(path.join(CONTEXTS, 'README.md'), 'utf8');
  const docs = new Map();
  for(const m of readme.matchAll(/^\| `([^`]+)` \| `(https:[^`]+)` \|/gm)) {
    docs.set(m[2], JSON.parse(fs.readFileSync(path.join(CONTEXTS, m[1]), 'utf8')));
  }
  return docs;
}

/** Serves the pinned contexts and did:key, nothing else; records what was asked for. */
function pinnedLoader(requested = []) {
  const docs = pinnedContexts();
  const didKey = didKeyDriver();
  didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  return async url => {
    requested.push(url);
    if(docs.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(docs.get(url))};
    }
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
    }
    throw new Error(`pinned loader: refusing to load ${url}`);
  };
}

const rdfcOnly = () => new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

function explain(result) {
  return JSON.stringify(result, (k, v) => (v instanceof Error ? v.message : v), 1).slice(0, 3000);
}

test('the pinned contexts are the ones oorkonde builds in', () => {
  const docs = pinnedContexts();
  assert.ok(docs.has('https://www.w3.org/ns/credentials/v2'));
  assert.ok(docs.has('https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'));
  assert.ok(docs.size >= 6, [...docs.keys()].join(' '));
});

describe('oorkonde signs, Digital Bazaar verifies (eddsa-rdfc-2022 only)', () => {
  let dep;
  before(() => {
    dep = demoDepository();
  });
  after(() => dep.cleanup());

  test('every credential of a learner verifies; altered ones do not', async () => {
    for(const a of dep.achievements) {
      const credential = JSON.parse(dep.issue(a.id));
      assert.equal(credential.proof.cryptosuite, 'eddsa-rdfc-2022');
      const requested = [];
      const result = await vc.verifyCredential({
        credential, suite: rdfcOnly(), documentLoader: pinnedLoader(requested),
        checkStatus: async () => ({verified: true})
      });
      assert.equal(result.verified, true, explain(result));
      assert.ok(requested.every(u => !u.startsWith('http') || pinnedContexts().has(u)));
      const altered = structuredClone(credential);
      altered.credentialSubject.achievement.name += ' (honours)';
      const bad = await vc.verifyCredential({
        credential: altered, suite: rdfcOnly(), documentLoader: pinnedLoader(),
        checkStatus: async () => ({verified: true})
      });
      assert.equal(bad.verified, false);
    }
  });

  test('a presentation made with --cryptosuite eddsa-rdfc-2022 verifies', async () => {
    const files = dep.achievements.slice(0, 2).map((a, i) => {
      const file = path.join(dep.dir, `rdfc-${i}.json`);
      fs.writeFileSync(file, dep.issue(a.id));
      return file;
    });
    const vp = JSON.parse(oorkondeOk(['present', ...files, '--cryptosuite', 'eddsa-rdfc-2022',
      '--challenge', 'c-42', '--domain', 'verifier.example'], {data: dep.data}));
    assert.equal(vp.proof.cryptosuite, 'eddsa-rdfc-2022');
    const check = (challenge, domain) => vc.verify({
      presentation: structuredClone(vp), challenge, domain, suite: rdfcOnly(),
      documentLoader: pinnedLoader(), checkStatus: async () => ({verified: true})
    });
    const result = await check('c-42', 'verifier.example');
    assert.equal(result.verified, true, explain(result));
    assert.deepEqual(result.credentialResults.map(c => c.verified), [true, true]);
    assert.equal((await check('c-43', 'verifier.example')).verified, false);
  });
});

describe('Digital Bazaar signs (eddsa-rdfc-2022), oorkonde verifies', () => {
  let signed;
  let issuer;
  before(async () => {
    issuer = await didKeyIdentity();
    const credential = {
      '@context': ['https://www.w3.org/ns/credentials/v2',
        'https://www.w3.org/ns/credentials/examples/v2'],
      type: ['VerifiableCredential', 'ExampleAlumniCredential'],
      issuer: issuer.did,
      validFrom: '2024-01-01T00:00:00Z',
      credentialSubject: {id: 'did:example:abcdefgh', alumniOf: 'The School of Examples'}
    };
    signed = await vc.issue({
      credential,
      suite: new DataIntegrityProof({signer: issuer.keyPair.signer(), cryptosuite: eddsaRdfc2022}),
      documentLoader: pinnedLoader()
    });
    assert.equal(signed.proof.cryptosuite, 'eddsa-rdfc-2022');
  });

  test('the data model and the proof hold; the untrusted issuer is named', () => {
    const {status, result, stdout} = oorkondeVerify(signed, {args: []});
    assert.equal(status, 1, stdout);
    const by = Object.fromEntries(result.details.map(d => [d.check, d]));
    assert.equal(by.proof.passed, true, stdout);
    assert.equal(by.validity.passed, true, stdout);
    assert.equal(by.issuer.passed, false, stdout);
    assert.match(by.issuer.message, /trust/i);
  });

  test('with --any-issuer it is verified; altered, it is not', () => {
    const ok = oorkondeVerify(signed);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.equal(ok.result.verified, true);
    const altered = structuredClone(signed);
    altered.credentialSubject.alumniOf = 'Another School';
    const bad = oorkondeVerify(altered);
    assert.equal(bad.status, 1);
    assert.ok(bad.result.errors.some(e => e.check === 'proof'), bad.stdout);
  });

  test('an undefined type is refused by the data model (type.defined)', async () => {
    const c = structuredClone(signed);
    delete c.proof;
    c['@context'] = ['https://www.w3.org/ns/credentials/v2'];
    c.type = ['VerifiableCredential', 'MadeUpCredential'];
    c.credentialSubject = {id: 'did:example:abcdefgh'};
    // Unsigned: the data model is checked before any proof, and this fails it.
    const jcs = oorkondeVerify(c, {args: ['--any-issuer']});
    assert.equal(jcs.status, 2, jcs.stdout);
    assert.match(jcs.stdout + jcs.stderr, /type\.defined/);
  });
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => resolve(port));
    });
  });
}

describe('a status list fetched by an ordinary JSON client', () => {
  let dep;
  let child;
  before(async () => {
    const port = await freePort();
    dep = demoDepository({host: `127.0.0.1:${port}`});
    child = spawn(BIN, ['--data', dep.data, 'serve', '--listen', `127.0.0.1:${port}`,
      '--rate-limit', '0'], {stdio: ['ignore', 'pipe', 'pipe']});
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('oorkonde serve did not start')), 30000);
      child.stdout.on('data', d => {
        if(String(d).includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });
  after(() => {
    child?.kill('SIGTERM');
    dep.cleanup();
  });

  async function bitOf(entry) {
    const r = await fetch(entry.statusListCredential, {headers: {Accept: 'application/json'}});
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /json/);
    const list = await r.json();
    assert.ok(list.type.includes('BitstringStatusListCredential'));
    const decoded = await decodeList({encodedList: list.credentialSubject.encodedList});
    return decoded.getStatus(Number(entry.statusListIndex));
  }

  test('Accept: application/json gets JSON; the list decodes, and shows a revocation', async () => {
    const a = dep.achievements.find(x => x.status === 'active');
    const credential = JSON.parse(dep.issue(a.id));
    const entry = credential.credentialStatus.find(e => e.statusPurpose === 'revocation');
    assert.equal(await bitOf(entry), false);
    oorkondeOk(['revoke', a.id, '--reason', 'interop test'], {data: dep.data});
    assert.equal(await bitOf(entry), true);
  });
});
