// The course suite (ehash_test.cpp), same five cases and names. Each case opens a store on the
// default folder (the project's data/) and ends with selfDestory(); they run one after another.

import { PmEHash } from '../src';
import type { SearchResult } from '../src';

describe('InsertTest', () => {
  test('SingleInsert', () => {
    const ehash = new PmEHash();
    expect(ehash.insert({ key: 1, value: 1 })).toBe(0);
    const out: SearchResult = { value: 0n };
    expect(ehash.search(1, out)).toBe(0);
    expect(out.value).toBe(1n);
    expect(ehash.search(0, out)).toBe(-1);
    ehash.selfDestory();
  });

  test('DuplicateInsert', () => {
    const ehash = new PmEHash();
    expect(ehash.insert({ key: 1, value: 1 })).toBe(0);
    expect(ehash.insert({ key: 1, value: 1 })).toBe(-1);
    ehash.selfDestory();
  });
});

describe('UpdateTest', () => {
  test('SingleUpdate', () => {
    const ehash = new PmEHash();
    expect(ehash.insert({ key: 1, value: 1 })).toBe(0);
    expect(ehash.update({ key: 1, value: 2 })).toBe(0);
    const out: SearchResult = { value: 0n };
    expect(ehash.search(1, out)).toBe(0);
    expect(out.value).toBe(2n);
    expect(ehash.update({ key: 2, value: 2 })).toBe(-1);
    ehash.selfDestory();
  });
});

describe('SearchTest', () => {
  test('SingleSearch', () => {
    const ehash = new PmEHash();
    expect(ehash.insert({ key: 1, value: 1 })).toBe(0);
    const out: SearchResult = { value: 0n };
    expect(ehash.search(1, out)).toBe(0);
    expect(out.value).toBe(1n);
    expect(ehash.search(2, out)).toBe(-1);
    expect(out.value).toBe(1n);
    ehash.selfDestory();
  });
});

describe('RemoveTest', () => {
  test('SingleRemove', () => {
    const ehash = new PmEHash();
    expect(ehash.insert({ key: 1, value: 1 })).toBe(0);
    expect(ehash.insert({ key: 2, value: 2 })).toBe(0);
    expect(ehash.remove(1)).toBe(0);
    expect(ehash.remove(1)).toBe(-1);
    const out: SearchResult = { value: 0n };
    expect(ehash.search(1, out)).toBe(-1);
    expect(out.value).toBe(0n);
    ehash.selfDestory();
  });
});
