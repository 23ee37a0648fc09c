// Splits, catalog doublings, merges down to an empty table, and reuse of freed bucket slots.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { COURSE_BUCKETS_PER_PAGE, DEFAULT_BUCKETS_PER_PAGE } from '../include-types/layout';
import { PmEHash } from '../src';
import { PREFETCH_MAX } from '../src/word-store';
import { Random } from './helpers/random';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

function expectAll(store: PmEHash, pairs: Map<bigint, bigint>): void {
  const out: { value?: bigint } = {};
  let missing = 0;
  for (const [k, v] of pairs) {
    if (store.search(k, out) !== 0 || out.value !== v) missing++;
  }
  expect(missing).toBe(0);
}

test('150,000 random keys stay findable through bucket splits and many catalog doublings', () => {
  const store = new PmEHash({ dir: tempDir('split') });
  const rnd = new Random(1);
  const pairs = new Map<bigint, bigint>();
  const depths: number[] = [];
  while (pairs.size < 150_000) {
    const k = rnd.uint64();
    const v = rnd.uint64();
    if (store.insert({ key: k, value: v }) !== (pairs.has(k) ? -1 : 0)) throw new Error(`insert ${k} disagrees`);
    if (!pairs.has(k)) pairs.set(k, v);
    if (pairs.size % 10_000 === 0) depths.push(store.stats().globalDepth);
  }
  const stats = store.stats();
  expect(stats.keys).toBe(150_000);
  expect(stats.globalDepth).toBeGreaterThanOrEqual(13); // 1 bucket -> >= 2^13 catalog entries
  expect(new Set(depths).size).toBeGreaterThan(3); // it kept doubling as it grew
  expect(stats.loadFactor).toBeGreaterThan(0.5);
  expect(store.check()).toEqual([]);
  expectAll(store, pairs);
  store.close();
});

test('removing every key merges buckets down to one and halves the catalog to one entry', () => {
  const store = new PmEHash({ dir: tempDir('merge') });
  const rnd = new Random(2);
  const keys: bigint[] = [];
  for (let i = 0; i < 60_000; i++) {
    const k = rnd.uint64();
    if (store.insert({ key: k, value: i }) === 0) keys.push(k);
  }
  expect(store.stats().globalDepth).toBeGreaterThan(10);
  // Remove in a shuffled order, checking the structure along the way.
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rnd.below(i + 1);
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  let failed = 0;
  keys.forEach((k, i) => {
    failed += -store.remove(k);
    if (i % 15_000 === 0) expect(store.check()).toEqual([]);
  });
  expect(failed).toBe(0);
  expect(store.stats()).toMatchObject({ keys: 0, buckets: 1, globalDepth: 0, catalogSize: 1 });
  expect(store.check()).toEqual([]);
  const out = {};
  expect(keys.slice(0, 1000).every((k) => store.search(k, out) === -1)).toBe(true);
  store.close();
});

test('freed bucket slots are reused: delete many, insert again, no new page files', () => {
  for (const bucketsPerPage of [COURSE_BUCKETS_PER_PAGE, DEFAULT_BUCKETS_PER_PAGE]) {
    const store = new PmEHash({ dir: tempDir('reuse'), bucketsPerPage });
    let failed = 0;
    for (let k = 0; k < 50_000; k++) failed += -store.insert({ key: k, value: k });
    const pagesAtPeak = store.stats().pageFiles;
    for (let k = 0; k < 50_000; k++) failed += -store.remove(k);
    for (let round = 1; round <= 3; round++) {
      for (let k = 0; k < 50_000; k++) failed += -store.insert({ key: k + round * 1_000_000, value: k });
      expect(store.stats().pageFiles).toBe(pagesAtPeak);
      for (let k = 0; k < 50_000; k++) failed += -store.remove(k + round * 1_000_000);
    }
    expect(failed).toBe(0);
    expect(store.check()).toEqual([]);
    store.close();
  }
});

test('the course page layout (16 buckets a page) works end to end and survives reopen', () => {
  const dir = tempDir('course-layout');
  let store = new PmEHash({ dir, bucketsPerPage: COURSE_BUCKETS_PER_PAGE });
  for (let k = 0; k < 20_000; k++) store.insert({ key: k, value: k * 2 });
  expect(store.stats().pageFiles).toBeGreaterThan(100);
  store.close();
  store = new PmEHash({ dir }); // the page size is read from the metadata
  const out: { value?: bigint } = {};
  for (let k = 0; k < 20_000; k += 7) {
    expect(store.search(k, out)).toBe(0);
    expect(out.value).toBe(BigInt(k * 2));
  }
  expect(store.check()).toEqual([]);
  store.close();
});

test('prefetchWords only reads: over ranges longer than one pass, the files stay byte for byte the same', () => {
  const dir = tempDir('prefetch');
  const store = new PmEHash({ dir });
  const n = 5_000;
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  const rnd = new Random(7);
  for (let i = 0; i < n; i++) {
    lo[i] = rnd.next();
    hi[i] = rnd.next();
    if (i % 2 === 0) store.words.insertWords(lo[i], hi[i], i, 0); // half of the keys present
  }
  const files = () =>
    fs
      .readdirSync(dir)
      .filter((f) => f !== 'pm_ehash_lock')
      .map((f) => fs.readFileSync(path.join(dir, f)));
  const before = files();
  // 40 keys a call: more than PREFETCH_MAX, which one call touches at most.
  expect(PREFETCH_MAX).toBeLessThan(40);
  for (let from = 0; from < n; from += 40) {
    expect(typeof store.words.prefetchWords(lo, hi, from, Math.min(from + 40, n))).toBe('number');
  }
  expect(files()).toEqual(before);
  expect(store.check()).toEqual([]);
  store.close();
});
