// Persistence: reopening in the same process and in a fresh process finds every pair.

import { PmEHash } from '../src';
import { removeCompiled, runCompiled } from './helpers/compile';
import { Random } from './helpers/random';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

test('reopen in the same process: every key and value intact, twice', () => {
  const dir = tempDir('reopen');
  const rnd = new Random(3);
  const pairs = new Map<bigint, bigint>();
  let store = new PmEHash({ dir });
  for (let i = 0; i < 30_000; i++) {
    const k = rnd.uint64();
    const v = rnd.uint64();
    if (store.insert({ key: k, value: v }) === 0) pairs.set(k, v);
  }
  let i = 0;
  for (const k of pairs.keys()) {
    if (i % 3 === 0) {
      pairs.set(k, BigInt(i));
      expect(store.update({ key: k, value: i })).toBe(0);
    } else if (i % 3 === 1) {
      pairs.delete(k);
      expect(store.remove(k)).toBe(0);
    }
    i++;
  }
  const stats = store.stats();
  store.close();
  for (let round = 0; round < 2; round++) {
    store = new PmEHash({ dir });
    expect(store.repairs).toEqual([]);
    expect(store.stats()).toEqual(stats);
    expect(new Map(store.entries())).toEqual(pairs);
    expect(store.check()).toEqual([]);
    store.close();
  }
});

test('1,000,000 sequential keys: a new process finds all of them and check() is clean', () => {
  const dir = tempDir('million');
  const store = new PmEHash({ dir });
  for (let k = 0; k < 1_000_000; k++) {
    if (store.insert({ key: k, value: k * 3 + 1 }) !== 0) throw new Error(`insert ${k} failed`);
  }
  store.close();
  const child = runCompiled('verify-sequential.ts', [dir, '1000000']);
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const result = JSON.parse(child.stdout);
  expect(result).toMatchObject({ missing: 0, wrong: 0, problems: [], repairs: [] });
  expect(result.stats.keys).toBe(1_000_000);
});
