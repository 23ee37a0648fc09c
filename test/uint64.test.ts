// Keys and values are exact uint64: edge values round-trip, bad ones are refused untouched.

import { BUCKET_SIZE } from '../include-types/layout';
import { PmEHash } from '../src';
import { BITMAP, DEPTH, findKey, KEY_HI, KEY_LO } from '../src/bucket';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const EDGE: bigint[] = [
  0n,
  1n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n,
  2n ** 63n + 1n,
  2n ** 64n - 2n,
  2n ** 64n - 1n,
];

test('edge keys and values are stored exactly and are distinct keys', () => {
  const store = new PmEHash({ dir: tempDir('edge') });
  EDGE.forEach((k, i) => expect(store.insert({ key: k, value: EDGE[EDGE.length - 1 - i] })).toBe(0));
  const out: { value?: bigint } = {};
  EDGE.forEach((k, i) => {
    expect(store.search(k, out)).toBe(0);
    expect(out.value).toBe(EDGE[EDGE.length - 1 - i]);
  });
  expect(store.stats().keys).toBe(EDGE.length);
  // number and bigint spell the same key
  expect(store.insert({ key: 2 ** 53 - 1, value: 5 })).toBe(-1);
  expect(store.update({ key: 2 ** 32, value: 2n ** 64n - 1n })).toBe(0);
  expect(store.search(2n ** 32n, out)).toBe(0);
  expect(out.value).toBe(2n ** 64n - 1n);
  expect(store.remove(2n ** 64n - 1n)).toBe(0);
  expect(store.search(2n ** 64n - 1n, out)).toBe(-1);
  expect(store.search(2n ** 64n - 2n, out)).toBe(0);
  store.close();
});

test('keys that share a low or a high half stay distinct, including low halves with bit 31 set', () => {
  const store = new PmEHash({ dir: tempDir('halves') });
  const keys: bigint[] = [];
  for (const lo of [0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn]) {
    for (let hi = 0n; hi < 40n; hi++) keys.push((hi << 32n) | lo); // 40 keys per low half: several buckets
    keys.push((0xffffffffn << 32n) | lo);
  }
  keys.forEach((k, i) => expect(store.insert({ key: k, value: BigInt(i) })).toBe(0));
  keys.forEach((k) => expect(store.insert({ key: k, value: 0n })).toBe(-1));
  const out: { value?: bigint } = {};
  keys.forEach((k, i) => {
    expect(store.search(k, out)).toBe(0);
    expect(out.value).toBe(BigInt(i));
  });
  // absent keys whose low half is present everywhere
  for (const lo of [0n, 0x80000000n, 0xffffffffn]) expect(store.search((1000n << 32n) | lo, out)).toBe(-1);
  keys.filter((_, i) => i % 2 === 0).forEach((k) => expect(store.remove(k)).toBe(0));
  keys.forEach((k, i) => expect(store.search(k, out)).toBe(i % 2 === 0 ? -1 : 0));
  expect(store.check()).toEqual([]);
  store.close();
});

test("a key whose high half equals its bucket's bitmap word or depth is found only when stored", () => {
  // A probe with no low-half match compares the high half with the bitmap word (bucket.ts,
  // findKey): such a key must still be absent until inserted, and then found.
  const store = new PmEHash({ dir: tempDir('depth-hi') });
  const out: { value?: bigint } = {};
  const key = (hi: number, lo: number) => (BigInt(hi) << 32n) | BigInt(lo);
  // Empty: the one bucket's bitmap word and depth are 0, and hi = 0 equals them.
  for (let hi = 0; hi < 12; hi++) expect(store.search(key(hi, 7), out)).toBe(-1);
  for (let i = 0; i < 3000; i++) expect(store.insert({ key: key(i % 12, 1000 + i), value: BigInt(i) })).toBe(0);
  expect(store.stats().globalDepth).toBeGreaterThan(4);
  for (let hi = 0; hi < 12; hi++) {
    expect(store.search(key(hi, 7), out)).toBe(-1);
    expect(store.insert({ key: key(hi, 7), value: BigInt(hi) })).toBe(0);
  }
  for (let hi = 0; hi < 12; hi++) {
    expect(store.search(key(hi, 7), out)).toBe(0);
    expect(out.value).toBe(BigInt(hi));
  }
  for (let i = 0; i < 3000; i++) {
    expect(store.search(key(i % 12, 1000 + i), out)).toBe(0);
    expect(out.value).toBe(BigInt(i));
  }
  expect(store.stats().keys).toBe(3012);
  expect(store.check()).toEqual([]);
  store.close();
});

test('findKey answers the used slot holding the key, also among slots that share a low half', () => {
  const w = new Uint32Array(BUCKET_SIZE / 4);
  const put = (j: number, lo: number, hi: number) => {
    w[KEY_LO + j] = lo;
    w[KEY_HI + j] = hi;
    w[BITMAP] |= 1 << j;
  };
  w[DEPTH] = 3;
  expect(findKey(w, 0, 5, 0)).toBe(-1); // no slot used: the bitmap word (0) equals hi
  expect(findKey(w, 0, 5, 3)).toBe(-1); // nor is the depth word a high half
  put(3, 5, 1);
  put(9, 5, 0xffffffff);
  put(14, 0x80000000, 2);
  expect(findKey(w, 0, 5, 1)).toBe(3);
  expect(findKey(w, 0, 5, 0xffffffff)).toBe(9); // the first low-half match is not the key
  expect(findKey(w, 0, 5, -1)).toBe(9); // the same bits as an int32
  expect(findKey(w, 0, 0x80000000, 2)).toBe(14);
  expect(findKey(w, 0, 5, 2)).toBe(-1);
  expect(findKey(w, 0, 6, w[BITMAP])).toBe(-1); // no low half matches; hi equals the bitmap word
  w[BITMAP] &= ~(1 << 9);
  expect(findKey(w, 0, 5, 0xffffffff)).toBe(-1); // an unused slot holds nothing
});

test.each([
  ['negative number', -1, RangeError],
  ['negative bigint', -1n, RangeError],
  ['fraction', 1.5, TypeError],
  ['NaN', NaN, TypeError],
  ['Infinity', Infinity, TypeError],
  ['2^53 as a number (not safe)', 2 ** 53, RangeError],
  ['2^64', 2n ** 64n, RangeError],
  ['string', '1', TypeError],
  ['null', null, TypeError],
  ['undefined', undefined, TypeError],
  ['object', {}, TypeError],
])('a key that is a %s throws and changes nothing', (_label, bad, ErrorClass) => {
  const dir = tempDir('bad-key');
  const store = new PmEHash({ dir });
  store.insert({ key: 7, value: 7 });
  const before = snapshot(dir);
  expect(() => store.insert({ key: bad as never, value: 1 })).toThrow(ErrorClass);
  expect(() => store.insert({ key: 8, value: bad as never })).toThrow(ErrorClass);
  expect(() => store.update({ key: bad as never, value: 1 })).toThrow(ErrorClass);
  expect(() => store.update({ key: 7, value: bad as never })).toThrow(ErrorClass);
  expect(() => store.remove(bad as never)).toThrow(ErrorClass);
  expect(() => store.search(bad as never, {})).toThrow(ErrorClass);
  expect(snapshot(dir)).toEqual(before);
  expect(store.stats().keys).toBe(1);
  const out: { value?: bigint } = {};
  expect(store.search(8, out)).toBe(-1);
  expect(store.search(7, out)).toBe(0);
  expect(out.value).toBe(7n);
  store.close();
});

test('a missing kv object or out-parameter is a TypeError', () => {
  const store = new PmEHash({ dir: tempDir('bad-args') });
  expect(() => store.insert(null as never)).toThrow(TypeError);
  expect(() => store.update(undefined as never)).toThrow(TypeError);
  expect(() => store.search(1, null as never)).toThrow(TypeError);
  expect(store.stats().keys).toBe(0);
  store.close();
});
