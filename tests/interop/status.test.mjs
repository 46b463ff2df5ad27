// Revocation and suspension read by an independent verifier: Digital Bazaar's
// `@digitalbazaar/vc-bitstring-status-list` (its `checkStatus`, alone and inside
// `vc.verifyCredential`) on oorkonde's credentials and the signed lists its server serves at
// `GET /status/{purpose}/{n}`. The lists are fetched from a real `oorkonde serve` on loopback;
// the document loader serves them (and the contexts, did:key) statically, so nothing else is
// ever loaded.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import zlib from 'node:zlib';

import {checkStatus, decodeList} from '@digitalbazaar/vc-bitstring-status-list';

import {BIN, makeLoader, oorkonde, oorkondeOk, tmpdir, vc, verifySuite} from './lib.mjs';

const SANITIZER = /ERROR: (Address|Leak)Sanitizer|runtime error: |SUMMARY: \w+Sanitizer/;

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

/** `oorkonde serve` on a data folder; resolves once it listens. */
function serve(data, port) {
  const stderr = [];
  const child = spawn(BIN, ['--data', data, 'serve', '--listen', `127.0.0.1:${port}`,
    '--rate-limit', '0'], {stdio: ['ignore', 'pipe', 'pipe']});
  child.stderr.on('data', d => stderr.push(d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('oorkonde serve did not start')), 30000);
    child.once('exit', code => reject(new Error(
      `oorkonde serve exited ${code}: ${Buffer.concat(stderr).toString()}`)));
    child.stdout.on('data', d => {
      out += d;
      if(/oorkonde listening on/.test(out)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({
          child,
          stderr: () => Buffer.concat(stderr).toString(),
          stop: () => new Promise(done => {
            child.once('exit', (code, signal) => done({code, signal}));
            child.kill('SIGTERM');
          })
        });
      }
    });
  });
}

function bit(bytes, index) {
  return (bytes[index >> 3] >> (7 - (index & 7))) & 1;
}

/** The bits of an encodedList decoded with node's zlib (independent of both sides). */
function bitsOf(list) {
  const encoded = list.credentialSubject.encodedList;
  assert.equal(encoded[0], 'u');
  return zlib.gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
}

function encode(bits) {
  return 'u' + zlib.gzipSync(bits).toString('base64url');
}

/** Of checkStatus's result: {purpose: bit} for each entry of the credential. */
function statuses(result) {
  assert.equal(result.verified, true, result.error?.message);
  return Object.fromEntries(result.results.map(r => [r.credentialStatus.statusPurpose,
    r.status]));
}

describe('oorkonde status lists, read by @digitalbazaar/vc-bitstring-status-list', () => {
  let dir;
  let data;
  let server;
  let base;
  let achievements;

  before(async () => {
    dir = tmpdir('ok-interop-status-');
    data = path.join(dir, 'data');
    oorkondeOk(['init'], {data});
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Credentials must point at this server's lists.
    const configPath = path.join(data, 'config.json');
    const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    config.base_url = base;
    fs.writeFileSync(configPath, JSON.stringify(config));
    const out = oorkondeOk(['demo', '--learners', '1'], {data});
    const nid = out.match(/--national-id (\S+)/)[1];
    achievements = JSON.parse(
      oorkondeOk(['achievements', '--national-id', nid, '--json'], {data})).map(a => a.id);
    assert.ok(achievements.length >= 4, `${achievements.length} achievements`);
    server = await serve(data, port);
  });

  after(async () => {
    if(server) {
      const {code} = await server.stop();
      const text = server.stderr();
      assert.ok(!SANITIZER.test(text), `sanitizer report from the server:\n${text}`);
      assert.equal(code, 0, text);
    }
    if(dir) {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  async function fetchList(url) {
    assert.ok(url.startsWith(base + '/status/'), url);
    const r = await fetch(url);
    assert.equal(r.status, 200, url);
    return r.json();
  }

  /** An offline loader that serves the lists the credential points at, fetched now. */
  async function loaderFor(credential, tamper = x => x) {
    const extra = {};
    for(const e of credential.credentialStatus) {
      extra[e.statusListCredential] = tamper(await fetchList(e.statusListCredential));
    }
    return makeLoader({extra});
  }

  function issue(id) {
    return JSON.parse(oorkondeOk(['issue', id], {data}));
  }

  async function dbCheck(credential, tamper) {
    return checkStatus({
      credential, documentLoader: await loaderFor(credential, tamper), suite: verifySuite(),
      verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true
    });
  }

  test('the served list decodes to 131,072 entries with Digital Bazaar\'s decoder', async () => {
    const credential = issue(achievements[0]);
    const entry = credential.credentialStatus.find(e => e.statusPurpose === 'revocation');
    const list = await fetchList(entry.statusListCredential);
    assert.ok(list.type.includes('BitstringStatusListCredential'));
    const decoded = await decodeList({encodedList: list.credentialSubject.encodedList});
    assert.equal(decoded.length, 131072);
    assert.equal(bitsOf(list).length, 16384);
  });

  test('not revoked before, revoked after `oorkonde revoke` (checkStatus)', async () => {
    const id = achievements[1];
    const credential = issue(id);
    assert.deepEqual(statuses(await dbCheck(credential)),
      {revocation: false, suspension: false});
    oorkondeOk(['revoke', id, '--reason', 'obtained by fraud'], {data});
    assert.deepEqual(statuses(await dbCheck(credential)),
      {revocation: true, suspension: false});
    // oorkonde agrees.
    const r = oorkonde(['verify', '-', '--json'], {data, input: JSON.stringify(credential)});
    assert.equal(r.status, 1);
    assert.match(JSON.parse(r.stdout).errors.map(e => e.detail).join(' '), /revoked/);
    // Both read the same bit: index i is the left-most-first bit i of the decoded list.
    const entry = credential.credentialStatus.find(e => e.statusPurpose === 'revocation');
    const list = await fetchList(entry.statusListCredential);
    const decoded = await decodeList({encodedList: list.credentialSubject.encodedList});
    const index = Number(entry.statusListIndex);
    assert.equal(decoded.getStatus(index), true);
    assert.equal(bit(bitsOf(list), index), 1);
  });

  test('suspended, then reinstated: the suspension bit follows', async () => {
    const id = achievements[2];
    const credential = issue(id);
    oorkondeOk(['suspend', id, '--reason', 'under investigation'], {data});
    assert.deepEqual(statuses(await dbCheck(credential)),
      {revocation: false, suspension: true});
    oorkondeOk(['reinstate', id, '--reason', 'cleared'], {data});
    assert.deepEqual(statuses(await dbCheck(credential)),
      {revocation: false, suspension: false});
  });

  test('vc.verifyCredential with checkStatus: proof valid, status revoked', async () => {
    const id = achievements[3];
    const credential = issue(id);
    const run = async () => vc.verifyCredential({
      credential: structuredClone(credential), suite: verifySuite(),
      documentLoader: await loaderFor(credential), checkStatus
    });
    let result = await run();
    assert.equal(result.verified, true, JSON.stringify(result.error?.message));
    assert.deepEqual(statuses(result.statusResult), {revocation: false, suspension: false});
    oorkondeOk(['revoke', id, '--reason', 'registered in error'], {data});
    result = await run();
    // The list still verifies; the revocation bit is what says revoked.
    assert.deepEqual(statuses(result.statusResult), {revocation: true, suspension: false});
  });

  test('a list altered after signing fails Digital Bazaar\'s check as well', async () => {
    const credential = issue(achievements[0]);
    const entry = credential.credentialStatus.find(e => e.statusPurpose === 'revocation');
    const index = Number(entry.statusListIndex);
    const result = await dbCheck(credential, list => {
      if(list.credentialSubject.statusPurpose !== 'revocation') {
        return list;
      }
      const bits = bitsOf(list);
      bits[index >> 3] |= 0x80 >> (index & 7);
      return {...list, credentialSubject: {...list.credentialSubject,
        encodedList: encode(bits)}};
    });
    assert.equal(result.verified, false);
    assert.match(result.error.message, /not verified/);
  });
});
