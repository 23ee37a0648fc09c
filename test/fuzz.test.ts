// Property-based tests: random operation sequences with random reopen points against a Map,
// and random corruption of each file kind: the store is either refused with a
// PmEHashCorruptError or opens with exactly its original content; never a crash, never a wrong
// answer without an error.

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { PmEHash, PmEHashCorruptError } from '../src';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const key = fc.oneof(fc.bigInt({ min: 0n, max: 63n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const op = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), key, value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ kind: fc.constant('update' as const), key, value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ kind: fc.constant('remove' as const), key }),
  fc.record({ kind: fc.constant('search' as const), key }),
  fc.record({ kind: fc.constant('reopen' as const) }),
);

test('random operations with random reopens agree with a Map', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 4 }), (ops, bucketsPerPage) => {
      const dir = tempDir('fuzz');
      const oracle = new Map<bigint, bigint>();
      let store = new PmEHash({ dir, bucketsPerPage });
      const out: { value?: bigint } = {};
      try {
        for (const o of ops) {
          switch (o.kind) {
            case 'insert':
              expect(store.insert(o)).toBe(oracle.has(o.key) ? -1 : 0);
              if (!oracle.has(o.key)) oracle.set(o.key, o.value);
              break;
            case 'update':
              expect(store.update(o)).toBe(oracle.has(o.key) ? 0 : -1);
              if (oracle.has(o.key)) oracle.set(o.key, o.value);
              break;
            case 'remove':
              expect(store.remove(o.key)).toBe(oracle.delete(o.key) ? 0 : -1);
              break;
            case 'search':
              out.value = undefined;
              expect(store.search(o.key, out)).toBe(oracle.has(o.key) ? 0 : -1);
              expect(out.value).toBe(oracle.get(o.key));
              break;
            case 'reopen':
              store.close();
              store = new PmEHash({ dir });
              break;
          }
        }
        expect(store.check()).toEqual([]);
        expect(new Map(store.entries())).toEqual(oracle);
      } finally {
        store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 60, seed: 20261122 },
  );
});

/** A closed store with a known content, over a few page files. */
function buildStore(): { dir: string; content: Map<bigint, bigint> } {
  const dir = tempDir('fuzz-corrupt');
  const store = new PmEHash({ dir, bucketsPerPage: 8 });
  const content = new Map<bigint, bigint>();
  for (let k = 0n; k < 600n; k++) {
    store.insert({ key: k * 7919n, value: k });
    content.set(k * 7919n, k);
  }
  store.close();
  return { dir, content };
}

const FILE_KINDS = ['pm_ehash_metadata', 'pm_ehash_catalog', '1', '2'];

test('random corruption of any file is either refused or leaves a store that checks clean', () => {
  const { dir, content } = buildStore();
  const pristine = new Map(FILE_KINDS.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
  let refused = 0;
  let opened = 0;
  fc.assert(
    fc.property(fc.constantFrom(...FILE_KINDS), fc.nat(), fc.integer({ min: 1, max: 255 }), (file, at, mask) => {
      for (const [f, bytes] of pristine) fs.writeFileSync(path.join(dir, f), bytes);
      const bytes = Buffer.from(pristine.get(file)!);
      const offset = at % bytes.length;
      bytes[offset] ^= mask;
      fs.writeFileSync(path.join(dir, file), bytes);
      let store: PmEHash;
      try {
        store = new PmEHash({ dir });
      } catch (err) {
        expect(err).toBeInstanceOf(PmEHashCorruptError);
        refused++;
        return;
      }
      opened++;
      try {
        // Opened despite the damage (it hit bytes that mean nothing, such as an unused slot,
        // or that recovery rebuilds, such as a page bitmap): then nothing may have changed.
        expect(store.check()).toEqual([]);
        expect(new Map(store.entries())).toEqual(content);
      } finally {
        store.close();
      }
    }),
    { numRuns: 600, seed: 7 },
  );
  expect(refused).toBeGreaterThan(0);
  expect(opened).toBeGreaterThan(0);
});
