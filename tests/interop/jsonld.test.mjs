// JSON-LD to RDF cross-check: the N-Quads that oorkonde's C converter must produce
// (tests/unit/vc/jsonld/*.nq, compared by tests/unit/vc/test_jsonld.c) are what the npm `jsonld`
// package (9.0.0) makes of the same documents, with a document loader that serves exactly the
// pinned context files of src/vc/contexts/ and refuses anything else. Blank node labels differ
// between the two: both sides are compared with every label written as _:X, sorted.
// UPDATE=1 writes the .nq files afresh from jsonld.js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';

import jsonld from 'jsonld';

import {ROOT} from './lib.mjs';

const CONTEXTS = path.join(ROOT, 'src', 'vc', 'contexts');
const CASES = path.join(ROOT, 'tests', 'unit', 'vc', 'jsonld');

/** URL -> file, from the table of src/vc/contexts/README.md (the one list of the pinned set). */
function pinned() {
  const map = new Map();
  const readme = fs.readFileSync(path.join(CONTEXTS, 'README.md'), 'utf8');
  for (const m of readme.matchAll(/^\| `([^`]+)` \| `(https:[^`]+)` \|/gm)) {
    map.set(m[2], path.join(CONTEXTS, m[1]));
  }
  return map;
}

const PINNED = pinned();

async function loader(url) {
  const file = PINNED.get(url);
  if (!file) {
    throw new Error(`offline loader: unknown context URL ${url}`);
  }
  return {contextUrl: null, documentUrl: url, document: JSON.parse(fs.readFileSync(file, 'utf8'))};
}

const norm = text => text.split('\n').filter(l => l).map(l => l.replace(/_:[A-Za-z0-9]+/g, '_:X'))
  .sort();

test('the README lists every pinned context file', () => {
  const files = fs.readdirSync(CONTEXTS).filter(f => f !== 'README.md').sort();
  assert.deepEqual([...PINNED.values()].map(f => path.basename(f)).sort(), files);
});

for (const name of fs.readdirSync(CASES).filter(f => f.endsWith('.jsonld')).sort()) {
  test(`jsonld.js toRDF of ${name} equals its .nq`, async () => {
    const doc = JSON.parse(fs.readFileSync(path.join(CASES, name), 'utf8'));
    const nq = await jsonld.toRDF(doc, {format: 'application/n-quads', documentLoader: loader});
    const want = path.join(CASES, name.replace(/\.jsonld$/, '.nq'));
    if (process.env.UPDATE) {
      fs.writeFileSync(want, nq);
    }
    assert.deepEqual(norm(nq), norm(fs.readFileSync(want, 'utf8')));
  });
}
