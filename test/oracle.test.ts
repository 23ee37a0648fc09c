// 200,000 random operations checked one by one against a Map, then the whole content compared
// after a reopen.

import { PmEHash } from '../src';
import { Random } from './helpers/random';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

test('200,000 mixed operations agree with a Map oracle at every step and after reopen', () => {
  const dir = tempDir('oracle');
  const rnd = new Random(42);
  const oracle = new Map<bigint, bigint>();
  // A key space small enough that inserts hit existing keys and removes find their keys.
  const space: bigint[] = [];
  for (let i = 0; i < 40_000; i++) space.push(i % 4 === 0 ? BigInt(i) : rnd.uint64());
  let store = new PmEHash({ dir });
  const out: { value?: bigint } = {};
  const mismatches: string[] = [];
  for (let step = 0; step < 200_000; step++) {
    const key = space[rnd.below(space.length)];
    const value = rnd.uint64();
    const dice = rnd.below(100);
    // Phases: grow (inserts dominate), churn, shrink (removes dominate).
    const phase = step < 80_000 ? 0 : step < 140_000 ? 1 : 2;
    const insertShare = [55, 30, 10][phase];
    const removeShare = [10, 30, 55][phase];
    let got: number;
    let want: number;
    let op: string;
    if (dice < insertShare) {
      op = 'insert';
      want = oracle.has(key) ? -1 : 0;
      got = store.insert({ key, value });
      if (want === 0) oracle.set(key, value);
    } else if (dice < insertShare + removeShare) {
      op = 'remove';
      want = oracle.delete(key) ? 0 : -1;
      got = store.remove(key);
    } else if (dice < insertShare + removeShare + 15) {
      op = 'update';
      want = oracle.has(key) ? 0 : -1;
      got = store.update({ key, value });
      if (want === 0) oracle.set(key, value);
    } else {
      op = 'search';
      want = oracle.has(key) ? 0 : -1;
      out.value = undefined;
      got = store.search(key, out);
      if (got === 0 && out.value !== oracle.get(key)) mismatches.push(`step ${step}: search ${key} gave ${out.value}`);
    }
    if (got !== want) mismatches.push(`step ${step}: ${op} ${key} returned ${got}, expected ${want}`);
    if (mismatches.length > 5) break;
    if (step === 100_000) {
      store.close(); // a reopen in the middle of the sequence
      store = new PmEHash({ dir });
    }
  }
  expect(mismatches).toEqual([]);
  expect(store.stats().keys).toBe(oracle.size);
  expect(store.check()).toEqual([]);
  store.close();
  store = new PmEHash({ dir });
  expect(store.check()).toEqual([]);
  expect(new Map(store.entries())).toEqual(oracle);
  store.close();
});
