// Stores of earlier format versions (3: one log record; 4: bucket checksums without the seed;
// 5: no batch records) open without loss and are upgraded in place to version 6. The fixtures
// were written by the builds before versions 4, 5 and 6: 300 keys k * 0x9e3779b97f4a7c15 mod 2^64 with value k, every
// third updated to k + 1,000,000, every fifth from 1 removed (4 buckets a page); the crashed one
// was killed inside one of the updates, with its log record pending.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { METADATA_FILE_SIZE, V3_METADATA_FILE_SIZE } from '../include-types/layout';
import { PmEHash } from '../src';
import { fnv1a32 } from '../src/checksum';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const keyOf = (k: number): bigint => (BigInt(k) * 0x9e3779b97f4a7c15n) % 2n ** 64n;

function copyFixture(name: string): string {
  const dir = tempDir('upgrade');
  fs.cpSync(path.join(__dirname, 'fixtures', name), dir, { recursive: true });
  return dir;
}

const metadata = (dir: string): Buffer => fs.readFileSync(path.join(dir, 'pm_ehash_metadata'));

test('a version 3 store opens with every pair, becomes version 6, and reopens clean', () => {
  const dir = copyFixture('v3-store');
  expect(metadata(dir).length).toBe(V3_METADATA_FILE_SIZE);
  expect(metadata(dir).readUInt32LE(8)).toBe(3);
  const store = new PmEHash({ dir });
  expect(store.repairs).toEqual(['upgraded from format version 3 to 6']);
  expect(store.check()).toEqual([]);
  const expected = new Map<bigint, bigint>();
  for (let k = 0; k < 300; k++) if (k % 5 !== 1) expected.set(keyOf(k), BigInt(k) + (k % 3 === 0 ? 1_000_000n : 0n));
  expect(new Map(store)).toEqual(expected);
  store.set(1, 1); // and it is writable
  store.close();
  expect(metadata(dir).length).toBe(METADATA_FILE_SIZE);
  expect(metadata(dir).readUInt32LE(8)).toBe(6);
  const again = new PmEHash({ dir });
  expect(again.repairs).toEqual([]);
  expect(again.size).toBe(expected.size + 1);
  again.close();
});

test('a version 3 store killed inside an update is recovered (the update redone) and upgraded', () => {
  const dir = copyFixture('v3-store-crashed-in-update');
  expect(metadata(dir).readUInt32LE(64)).toBe(1); // an Update record pending in the one log slot
  const store = new PmEHash({ dir });
  expect(store.repairs).toEqual(['redid an interrupted update', 'upgraded from format version 3 to 6']);
  expect(store.check()).toEqual([]);
  // All 300 inserts are there; the updates reached some key K (the one in flight redone).
  const content = new Map(store);
  expect(content.size).toBe(300);
  let updated = 0;
  while (content.get(keyOf(updated)) === BigInt(updated) + 1_000_000n) updated += 3;
  for (let k = 0; k < 300; k++) {
    const want = k % 3 === 0 && k < updated ? BigInt(k) + 1_000_000n : BigInt(k);
    expect({ k, value: content.get(keyOf(k)) }).toEqual({ k, value: want });
  }
  expect(updated).toBeGreaterThan(0);
  store.close();
  const again = new PmEHash({ dir });
  expect(again.repairs).toEqual([]);
  again.close();
});

test('an upgrade cut short (metadata grown, version still 3) is finished by the next open', () => {
  const dir = copyFixture('v3-store');
  const grown = Buffer.alloc(METADATA_FILE_SIZE);
  metadata(dir).copy(grown);
  fs.writeFileSync(path.join(dir, 'pm_ehash_metadata'), grown);
  const store = new PmEHash({ dir });
  expect(store.repairs).toEqual(['upgraded from format version 3 to 6']);
  expect(store.check()).toEqual([]);
  expect(store.size).toBe(240);
  store.close();
});

const expected240 = (): Map<bigint, bigint> => {
  const expected = new Map<bigint, bigint>();
  for (let k = 0; k < 300; k++) if (k % 5 !== 1) expected.set(keyOf(k), BigInt(k) + (k % 3 === 0 ? 1_000_000n : 0n));
  return expected;
};

test('a version 4 store opens with every pair, its buckets reseeded, becomes version 6, and reopens clean', () => {
  const dir = copyFixture('v4-store');
  expect(metadata(dir).readUInt32LE(8)).toBe(4);
  const store = new PmEHash({ dir });
  expect(store.repairs).toEqual(['upgraded from format version 4 to 6']);
  expect(store.check()).toEqual([]);
  expect(new Map(store)).toEqual(expected240());
  store.close();
  expect(metadata(dir).readUInt32LE(8)).toBe(6);
  const again = new PmEHash({ dir });
  expect(again.repairs).toEqual([]);
  expect(again.check()).toEqual([]);
  again.close();
});

test('an upgrade from version 4 cut short after some buckets were reseeded is finished by the next open', () => {
  const dir = copyFixture('v4-store');
  const done = copyFixture('v4-store');
  new PmEHash({ dir: done }).close(); // every bucket reseeded, version 6
  // Half of the page files as the finished upgrade left them, the metadata still version 4.
  for (const name of ['1', '2', '3', '4']) fs.copyFileSync(path.join(done, name), path.join(dir, name));
  const store = new PmEHash({ dir });
  expect(store.repairs).toEqual(['upgraded from format version 4 to 6']);
  expect(store.check()).toEqual([]);
  expect(new Map(store)).toEqual(expected240());
  store.close();
});

test('a version 5 store opens with every pair, becomes version 6, and reopens clean; its checksums are not relaxed', () => {
  const dir = copyFixture('v5-store');
  expect(metadata(dir).readUInt32LE(8)).toBe(5);
  const store = new PmEHash({ dir });
  expect(store.repairs).toEqual(['upgraded from format version 5 to 6']);
  expect(store.check()).toEqual([]);
  expect(new Map(store)).toEqual(expected240());
  store.batch([{ type: 'put', key: 1n, value: 2n }]); // and a batch works in it
  store.close();
  expect(metadata(dir).readUInt32LE(8)).toBe(6);
  const again = new PmEHash({ dir });
  expect(again.repairs).toEqual([]);
  expect(again.size).toBe(241);
  again.close();
  // A bucket with the checksum form of versions 3 and 4 (no seed) is refused in a version 5
  // store: only stores before version 5 may hold one.
  const legacy = copyFixture('v4-store');
  const b = metadata(legacy);
  b.writeUInt32LE(5, 8);
  b.writeUInt32LE(fnv1a32(b, 0, 60), 60);
  fs.writeFileSync(path.join(legacy, 'pm_ehash_metadata'), b);
  expect(() => new PmEHash({ dir: legacy })).toThrow(/checksum of its kv slots does not match/);
});
