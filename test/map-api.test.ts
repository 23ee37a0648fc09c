// The Map-style API beside the course's: get, has, set, delete, size, clear, the lazy iterators
// (and what they meet while the store changes), batch, and `using`.

import { PmEHash } from '../src';
import { Random } from './helpers/random';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const MAX = 2n ** 64n - 1n;

test('get, has, set and delete behave as on a Map, for every uint64', () => {
  const store = new PmEHash({ dir: tempDir('map') });
  expect(store.get(MAX)).toBeUndefined();
  expect(store.has(0)).toBe(false);
  expect(
    store
      .set(MAX, 1)
      .set(0, MAX)
      .set(2 ** 53 - 1, 7),
  ).toBe(store); // chainable
  expect(store.get(MAX)).toBe(1n);
  expect(store.get(0n)).toBe(MAX);
  expect(store.get(2 ** 53 - 1)).toBe(7n); // numbers in, bigints out
  expect(store.set(MAX, 2).get(MAX)).toBe(2n); // set replaces
  expect(store.size).toBe(3);
  expect(store.has(MAX)).toBe(true);
  expect(store.delete(MAX)).toBe(true);
  expect(store.delete(MAX)).toBe(false);
  expect(store.has(MAX)).toBe(false);
  expect(store.size).toBe(2);
  // the course's API sees the same pairs
  const out: { value?: bigint } = {};
  expect(store.search(0, out)).toBe(0);
  expect(out.value).toBe(MAX);
  store.close();
});

test('bad keys and values throw TypeError or RangeError and change nothing', () => {
  const dir = tempDir('map-bad');
  const store = new PmEHash({ dir });
  store.set(1, 1);
  const before = snapshot(dir);
  expect(() => store.set(-1, 1)).toThrow(RangeError);
  expect(() => store.set(1, 2n ** 64n)).toThrow(RangeError);
  expect(() => store.set(1.5, 1)).toThrow(TypeError);
  expect(() => store.set('1' as never, 1)).toThrow(TypeError);
  expect(() => store.get(null as never)).toThrow(TypeError);
  expect(() => store.has(2 ** 53)).toThrow(RangeError);
  expect(() => store.delete(undefined as never)).toThrow(TypeError);
  expect(store.get(1)).toBe(1n);
  expect(snapshot(dir)).toEqual(before);
  store.close();
});

test('clear empties a grown store, which stays open, consistent and usable', () => {
  const store = new PmEHash({ dir: tempDir('clear'), bucketsPerPage: 16 });
  for (let k = 0; k < 20_000; k++) store.set(k, k);
  expect(store.stats().globalDepth).toBeGreaterThan(8);
  store.clear();
  expect(store.size).toBe(0);
  expect(store.stats()).toMatchObject({ keys: 0, globalDepth: 0, buckets: 1 });
  expect([...store.keys()]).toEqual([]);
  expect(store.check()).toEqual([]);
  store.set(5, 6);
  expect(store.get(5)).toBe(6n);
  store.close();
});

test('entries, keys, values and the iterator meet every pair once, lazily', () => {
  const store = new PmEHash({ dir: tempDir('iterate') });
  const rnd = new Random(7);
  const pairs = new Map<bigint, bigint>();
  while (pairs.size < 30_000) {
    const [k, v] = [rnd.uint64(), rnd.uint64()];
    if (!pairs.has(k)) store.set(k, v);
    pairs.set(k, pairs.get(k) ?? v);
  }
  const entries = store.entries();
  expect(Array.isArray(entries)).toBe(false); // an iterator, not a copy
  const seen = new Map<bigint, bigint>();
  for (const [k, v] of entries) {
    expect(seen.has(k)).toBe(false);
    seen.set(k, v);
  }
  expect(seen).toEqual(pairs);
  expect(new Map(store)).toEqual(pairs); // [Symbol.iterator]
  expect(new Set(store.keys())).toEqual(new Set(pairs.keys()));
  expect([...store.values()].sort()).toEqual([...pairs.values()].sort());
  store.close();
});

test('while the store splits, doubles, merges and halves under it, an iterator meets each stable pair exactly once', () => {
  const store = new PmEHash({ dir: tempDir('iterate-churn'), bucketsPerPage: 16 });
  const rnd = new Random(8);
  const stable = new Map<bigint, bigint>();
  const ever = new Set<bigint>();
  const churn: bigint[] = [];
  for (let i = 0; i < 3000; i++) {
    const k = rnd.uint64();
    store.set(k, k ^ 1n);
    stable.set(k, k ^ 1n);
    ever.add(k);
  }
  for (let i = 0; i < 3000; i++) {
    const k = rnd.uint64();
    store.set(k, 0);
    churn.push(k);
    ever.add(k);
  }
  const depths = new Set<number>();
  const met = new Map<bigint, number>();
  let step = 0;
  for (const [k, v] of store) {
    met.set(k, (met.get(k) ?? 0) + 1);
    if (stable.has(k)) expect(v).toBe(stable.get(k));
    if (++step % 20 === 0) {
      // Through the first half of the walk the store grows (splits, doublings); through the
      // second, every key but the stable ones goes (merges, halvings).
      if (step < 3000) {
        for (let i = 0; i < 300; i++) {
          const n = rnd.uint64();
          store.set(n, 0);
          churn.push(n);
          ever.add(n);
        }
      } else {
        for (const n of churn.splice(0, 1500)) store.delete(n);
      }
      depths.add(store.stats().globalDepth);
    }
  }
  // the catalog grew and shrank under the iterator
  expect(Math.max(...depths) - Math.min(...depths)).toBeGreaterThanOrEqual(2);
  expect(churn.length).toBe(0);
  for (const k of stable.keys()) expect({ k, times: met.get(k) }).toEqual({ k, times: 1 });
  for (const [k, times] of met) {
    expect(ever.has(k)).toBe(true); // nothing that was never written
    expect(times).toBe(1);
  }
  expect(store.check()).toEqual([]);
  store.close();
});

test('batch applies puts and dels in order, and validates every operation first', () => {
  const dir = tempDir('batch');
  const store = new PmEHash({ dir });
  store.batch([
    { type: 'put', key: 1, value: 10 },
    { type: 'put', key: MAX, value: 20 },
    { type: 'put', key: 1, value: 11 }, // replaces
    { type: 'del', key: 2 }, // absent: no error
    { type: 'del', key: MAX },
  ]);
  expect(new Map(store)).toEqual(new Map([[1n, 11n]]));
  const before = snapshot(dir);
  expect(() =>
    store.batch([
      { type: 'put', key: 3, value: 3 },
      { type: 'put', key: -4, value: 4 },
    ]),
  ).toThrow(/batch operation 1: key/);
  expect(() => store.batch([{ type: 'del', key: 3 }, { type: 'erase', key: 3 } as never])).toThrow(TypeError);
  expect(() => store.batch([{ type: 'put', key: 3 } as never])).toThrow(/batch operation 0: value/);
  expect(() => store.batch('no' as never)).toThrow(TypeError);
  expect(snapshot(dir)).toEqual(before); // nothing of a refused batch was applied
  expect(store.has(3)).toBe(false);
  store.close();
});

test('a `using` declaration closes the store at the end of its block', () => {
  const dir = tempDir('using');
  let outer: PmEHash;
  {
    using store = new PmEHash({ dir });
    store.set(1, 2);
    outer = store;
    expect(outer.isClosed).toBe(false);
  }
  expect(outer.isClosed).toBe(true);
  const again = new PmEHash({ dir }); // the lock was released
  expect(again.get(1)).toBe(2n);
  again.close();
});
