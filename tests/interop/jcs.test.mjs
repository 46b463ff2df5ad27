// JCS (RFC 8785) cross-check: tricky JSON, canonicalized by the npm package `canonicalize`
// (4.0.0), signed as eddsa-jcs-2022 and handed to `oorkonde verify` in a deliberately
// non-canonical spelling (keys out of order, whitespace, escapes, other number spellings). The
// signature covers the canonical bytes, so oorkonde accepting it proves that both produce the
// same canonical form. Each case is also signed over a plausibly *wrong* canonical form (UTF-8
// key order, C-style number formatting, escaped non-ASCII …); where that form differs, oorkonde
// must reject it, which shows that the case really exercises the rule.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {before, describe, test} from 'node:test';

import {canonicalize, dbIssue, didKeyIdentity, jcsProof, oorkondeVerify, VC_V2} from './lib.mjs';

const EXAMPLES = 'https://www.w3.org/ns/credentials/examples/v2';

// name -> raw JSON text of the claim, as written in the file oorkonde reads.
const CORPUS = {
  'number 1e21': '1e21',
  'number 1E+21 spelled out': '1000000000000000000000',
  'number 1e20 (last without exponent)': '1E20',
  'number 1e-7': '1e-7',
  'number 0.000001 (last without exponent)': '1e-6',
  'number 1e-7 spelled out': '0.0000001',
  'number -0': '-0',
  'number -0.0e5': '-0.0e5',
  'number 2^53': '9007199254740992',
  'number 2^53+1 (not a double)': '9007199254740993',
  'number 2^63': '9223372036854775808',
  'number 2^70': '1180591620717411303424',
  'number 0.1': '0.1',
  'number 0.1+0.2': '0.30000000000000004',
  'number 5e-324 (smallest subnormal)': '5e-324',
  'number 2^-1022 (smallest normal)': '2.2250738585072014e-308',
  'number max double': '1.7976931348623157e308',
  'number 1e23 (halfway rounding)': '1e23',
  'number 9.999999999999999e22': '9.999999999999999e22',
  'number 1.0 and 1e0': '[1.0, 1e0, 100e-2, 0.5e1]',
  'number 4.35, 0.002, 1e-9, 123e-20': '[4.35, 0.002, 1e-9, 123e-20]',
  'number RFC 8785 sample': '[333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]',
  'number negative small and large': '[-1e-7, -1e21, -5e-324, -123.456]',
  'number 2^60 and 2^-30': '[1152921504606846976, 9.313225746154785e-10]',
  'number 295147905179352830000 (2^68)': '295147905179352825856',
  'string control characters': '"\\u0001\\u001f\\u0008\\u000c\\n\\r\\t"',
  'string quote and backslash': '"\\"\\\\ and \\u0022\\u005c"',
  'string escaped solidus': '"a\\/b </script>"',
  'string DEL and C1 control': '"\\u007f\\u0080\\u009f"',
  'string escaped letters': '"\\u0041\\u00e9\\u20ac"',
  'string line and paragraph separators': '"\\u2028\\u2029"',
  'string surrogate pair escaped': '"\\ud83d\\ude00 \\uD834\\uDD1E"',
  'string surrogate pair literal': '"😀 𝄞 𝔄nna"',
  'string non-BMP and BMP mixed': '"\\uffff\\ud800\\udc00\\ufb33"',
  'keys UTF-16 vs UTF-8 order': '{"\\uff61": 1, "\\ud83d\\ude00": 2, "\\ue000": 3, "z": 4}',
  'keys RFC 8785 sorting sample':
    '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With ' +
    'Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", ' +
    '"\\u00f6": "Latin Small Letter O With Diaeresis"}',
  'keys case and prefix order': '{"b": 1, "B": 2, "a": 3, "aa": 4, "A": 5, "a\\u0001": 6, "": 7}',
  'keys nested, reversed': '{"z": {"y": [ {"b": 1, "a": 2} ], "x": null}, "a": [true, false]}',
  'literals and empties': '[null, true, false, {}, [], "", {"": ""}]',
  'deep nesting': '['.repeat(50) + '1' + ']'.repeat(50),
  'whitespace everywhere': ' { "b" :\t[ 1 ,\n2 ] ,\r\n "a" : { } } ',
};

// A configurable canonicalizer, to produce plausible wrong canonical forms.
function makeCanon({utf8Keys = false, num = n => JSON.stringify(n), str = s => JSON.stringify(s)}) {
  const cmp = utf8Keys ?
    (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) :
    (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const canon = v => {
    if(v === null || typeof v === 'boolean') {
      return JSON.stringify(v);
    }
    if(typeof v === 'number') {
      return num(v);
    }
    if(typeof v === 'string') {
      return str(v);
    }
    if(Array.isArray(v)) {
      return '[' + v.map(canon).join(',') + ']';
    }
    return '{' + Object.keys(v).sort(cmp).map(k => str(k) + ':' + canon(v[k])).join(',') + '}';
  };
  return canon;
}

// C's printf("%.17g") with trailing zeros removed: a common, wrong, number formatter.
function printf17g(n) {
  if(Object.is(n, -0)) {
    return '-0';
  }
  let s = n.toPrecision(17);
  if(s.includes('e')) {
    let [m, e] = s.split('e');
    if(m.includes('.')) {
      m = m.replace(/0+$/, '').replace(/\.$/, '');
    }
    const sign = e[0] === '-' ? '-' : '+';
    e = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${m}e${sign}${e}`;
  }
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const WRONG = {
  'keys sorted by UTF-8 bytes': makeCanon({utf8Keys: true}),
  'numbers as printf %.17g': makeCanon({num: printf17g}),
  'exponent without +': makeCanon({num: n => JSON.stringify(n).replace('e+', 'e')}),
  'integers written out in full': makeCanon({
    num: n => (Number.isInteger(n) && Math.abs(n) >= 1e21 ? BigInt(n).toString() :
      JSON.stringify(n))
  }),
  'non-ASCII escaped as \\u': makeCanon({
    str: s => JSON.stringify(s).replace(/[\u007f-\uffff]/g,
      c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
  }),
  'control characters as \\u00XX': makeCanon({
    str: s => JSON.stringify(s).replace(/\\[bfnrt]/g, m => '\\u00' +
      ({b: '08', f: '0c', n: '0a', r: '0d', t: '09'})[m[1]])
  }),
  'solidus escaped': makeCanon({str: s => JSON.stringify(s).replace(/\//g, '\\/')}),
};

const CREATED = '2024-05-01T12:00:00Z';

// The credential as text, deliberately not canonical, with the raw claim spliced in.
function credentialText(identity, raw, proof) {
  return '{\n  "credentialSubject": {"claim": ' + raw + ', "id": "did:example:learner"},\n' +
    '  "type": ["VerifiableCredential"],\n  "issuer": ' + JSON.stringify(identity.did) + ',\n' +
    // The examples context defines "claim" (oorkonde refuses terms no context defines).
    '  "@context": [' + JSON.stringify(VC_V2) + ', ' + JSON.stringify(EXAMPLES) + ']' +
    (proof ? ',\n  "proof": ' + JSON.stringify(proof, null, 1) : '') + '\n}\n';
}

describe('JCS corpus: canonicalize@4.0.0 and oorkonde agree', () => {
  let identity;
  before(async () => {
    identity = await didKeyIdentity(Buffer.alloc(32, 0x4a));
  });

  test('the canonicalizer under test is canonicalize@4.0.0 and matches RFC 8785 samples',
    async () => {
      const pkg = JSON.parse(fs.readFileSync(new URL(
        './node_modules/canonicalize/package.json', import.meta.url), 'utf8'));
      assert.equal(pkg.version, '4.0.0');
      assert.equal(canonicalize({numbers: [333333333.33333329, 1E30, 4.50, 2e-3,
        0.000000000000000000000000001]}),
      '{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}');
      assert.equal(canonicalize(1e21), '1e+21');
      assert.equal(canonicalize(-0), '0');
      assert.equal(canonicalize(9007199254740993), '9007199254740992');
      assert.equal(canonicalize(5e-324), '5e-324');
    });

  for(const [name, raw] of Object.entries(CORPUS)) {
    test(name, async () => {
      const doc = JSON.parse(credentialText(identity, raw));
      const canonical = canonicalize(doc);
      const proof = jcsProof(doc, identity, {created: CREATED});
      const good = oorkondeVerify(credentialText(identity, raw, proof),
        {args: ['--any-issuer', '--checks', 'proof']});
      assert.equal(good.status, 0,
        `oorkonde rejected the canonicalize@4.0.0 form ${canonical}\n${good.stdout}` +
        good.stderr);
      assert.equal(good.result.verified, true);

      // Digital Bazaar's signer (its own canonicalize copy) gives the very same proof.
      const db = await dbIssue(doc, identity, {date: CREATED});
      assert.equal(db.proof.proofValue, proof.proofValue, 'Digital Bazaar signed other bytes');

      let differing = 0;
      for(const [how, wrong] of Object.entries(WRONG)) {
        if(wrong(doc) === canonical) {
          continue;
        }
        differing++;
        const bad = jcsProof(doc, identity, {created: CREATED, canon: wrong});
        const r = oorkondeVerify(credentialText(identity, raw, bad),
          {args: ['--any-issuer', '--checks', 'proof']});
        assert.equal(r.status, 1,
          `oorkonde accepted a proof over a wrong canonical form (${how}): ${wrong(doc)}`);
        assert.match(r.result.errors[0].detail, /changed after it was signed/);
      }
      // Cases that only test the parser (spellings, whitespace) need not have a wrong form.
      if(!/spelled|1\.0|whitespace|-0\.0|2\^53 |literals|deep|escaped letters/.test(name)) {
        assert.ok(differing > 0, `no wrong canonicalization differs for ${raw}`);
      }
    });
  }

  // oorkonde refuses \u0000 in strings by design (vc/jcs.h: C consumers would cut the value
  // short), although RFC 8785 allows it: the input is unusable (exit 2), not mis-canonicalized.
  test('a NUL character in a string is refused as unusable input (documented limit)', () => {
    const raw = '{"a\\u0000": 1}';
    const doc = JSON.parse(credentialText(identity, raw));
    const r = oorkondeVerify(credentialText(identity, raw, jcsProof(doc, identity)),
      {args: ['--any-issuer']});
    assert.equal(r.status, 2);
    assert.match(r.result.errors[0].detail, /NUL/);
  });

  test('a claim altered after signing is rejected', () => {
    const doc = JSON.parse(credentialText(identity, '{"n": 1e21}'));
    const proof = jcsProof(doc, identity, {created: CREATED});
    const r = oorkondeVerify(credentialText(identity, '{"n": 1e22}', proof),
      {args: ['--any-issuer', '--checks', 'proof']});
    assert.equal(r.status, 1);
  });
});
