// Hostile input: a damaged or foreign folder is refused with PmEHashCorruptError naming the file
// (by its path, so the store too) and the problem, and every file is left byte-identical.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUCKET_BITMAP_OFFSET, BUCKET_LOCAL_DEPTH_OFFSET } from '../include-types/layout';
import { PmEHash, PmEHashCorruptError, PmEHashError } from '../src';
import { bucketSeed } from '../src/bucket';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';
import { thrown } from './helpers/thrown';

afterAll(removeTempDirs);

/** A closed store of 3,000 keys over several page files (16 buckets a page). */
function makeStore(): string {
  const dir = tempDir('corrupt');
  const store = new PmEHash({ dir, bucketsPerPage: 16 });
  for (let k = 0; k < 3000; k++) store.insert({ key: k, value: k });
  store.close();
  return dir;
}

function flipByte(file: string, offset: number): void {
  const bytes = fs.readFileSync(file);
  bytes[offset] ^= 0x5a;
  fs.writeFileSync(file, bytes);
}

function expectRefused(dir: string, file: string, problem: RegExp): void {
  const before = snapshot(dir);
  const e = thrown<PmEHashCorruptError>(() => new PmEHash({ dir }).close());
  expect(e).toBeInstanceOf(PmEHashCorruptError);
  expect(e.code).toBe('PMEHASH_CORRUPT');
  expect(e.file).toBe(file);
  expect(e.message.startsWith(`${path.join(path.resolve(dir), file)}: `)).toBe(true); // which store, too
  expect(e.message).toMatch(problem);
  expect(snapshot(dir)).toEqual(before); // nothing changed, not even a lock file left behind
}

const meta = (dir: string) => path.join(dir, 'pm_ehash_metadata');
const catalog = (dir: string) => path.join(dir, 'pm_ehash_catalog');

test.each<[string, (dir: string) => void, string, RegExp]>([
  ['truncated metadata', (d) => fs.truncateSync(meta(d), 100), 'pm_ehash_metadata', /size is 100 bytes, expected 4160/],
  ['extended metadata', (d) => fs.appendFileSync(meta(d), Buffer.alloc(8)), 'pm_ehash_metadata', /size is 4168 bytes/],
  ['empty metadata', (d) => fs.truncateSync(meta(d), 0), 'pm_ehash_metadata', /size is 0 bytes/],
  ['zeroed metadata', (d) => fs.writeFileSync(meta(d), Buffer.alloc(128)), 'pm_ehash_metadata', /bad magic/],
  [
    'metadata of another format version',
    (d) => {
      const b = fs.readFileSync(meta(d));
      b.writeUInt32LE(7, 8);
      fs.writeFileSync(meta(d), b);
    },
    'pm_ehash_metadata',
    /format version 7/,
  ],
  ['flipped byte in maxFileId', (d) => flipByte(meta(d), 20), 'pm_ehash_metadata', /checksum mismatch/],
  ['flipped byte in globalDepth', (d) => flipByte(meta(d), 24), 'pm_ehash_metadata', /checksum mismatch/],
  [
    'flipped byte in a catalog fileId',
    (d) => flipByte(catalog(d), 8 * 5 + 1),
    'pm_ehash_catalog',
    /entry 5 points outside the pages/,
  ],
  [
    'catalog offset moved to another bucket',
    (d) => {
      const b = fs.readFileSync(catalog(d));
      const entry = 8 * 9;
      b.writeUInt32LE(b.readUInt32LE(entry + 4) === 64 ? 320 : 64, entry + 4);
      fs.writeFileSync(catalog(d), b);
    },
    'pm_ehash_catalog',
    /entries|reached from/,
  ],
  [
    'two catalog entries of different buckets swapped',
    (d) => {
      // Entries 0 and 1 differ in their lowest bit, which every bucket of depth >= 1 keeps apart:
      // each bucket is still reached from as many entries, but not from entries of one pattern.
      const b = fs.readFileSync(catalog(d));
      const entry0 = Buffer.from(b.subarray(0, 8));
      b.copy(b, 0, 8, 16);
      entry0.copy(b, 8);
      fs.writeFileSync(catalog(d), b);
    },
    'pm_ehash_catalog',
    /entries \d+ and \d+ share a bucket of local depth [1-9]/,
  ],
  [
    'catalog offset inside a bucket',
    (d) => {
      const b = fs.readFileSync(catalog(d));
      b.writeUInt32LE(b.readUInt32LE(4) + 8, 4);
      fs.writeFileSync(catalog(d), b);
    },
    'pm_ehash_catalog',
    /entry 0 points outside the pages/,
  ],
  [
    'truncated catalog',
    (d) => fs.truncateSync(catalog(d), fs.statSync(catalog(d)).size - 8),
    'pm_ehash_catalog',
    /size is \d+ bytes, expected \d+/,
  ],
  ['missing catalog', (d) => fs.rmSync(catalog(d)), 'pm_ehash_catalog', /missing/],
  ['missing page file', (d) => fs.rmSync(path.join(d, '3')), '3', /page file missing/],
  ['extra page file', (d) => fs.writeFileSync(path.join(d, '999'), Buffer.alloc(100)), '999', /unexpected page file/],
  ['truncated page', (d) => fs.truncateSync(path.join(d, '2'), 1000), '2', /size is 1000 bytes, expected 4160/],
  ['extended page', (d) => fs.appendFileSync(path.join(d, '1'), Buffer.alloc(1)), '1', /size is 4161 bytes/],
  [
    'local depth beyond global depth',
    (d) => {
      const b = fs.readFileSync(catalog(d));
      const [fileId, offset] = [b.readUInt32LE(0), b.readUInt32LE(4)];
      const page = fs.readFileSync(path.join(d, String(fileId)));
      page.writeUInt32LE(40, offset + BUCKET_LOCAL_DEPTH_OFFSET);
      fs.writeFileSync(path.join(d, String(fileId)), page);
    },
    '1',
    /local depth 40/,
  ],
  [
    'local depth lowered by one, its checksum forged to match',
    (d) => {
      // Its entries still share their low bits, but the bucket now claims twice as many.
      const b = fs.readFileSync(catalog(d));
      const [fileId, offset] = [b.readUInt32LE(0), b.readUInt32LE(4)];
      const page = fs.readFileSync(path.join(d, String(fileId)));
      const depth = page.readUInt32LE(offset + BUCKET_LOCAL_DEPTH_OFFSET);
      expect(depth).toBeGreaterThan(0);
      page.writeUInt32LE(depth - 1, offset + BUCKET_LOCAL_DEPTH_OFFSET);
      const reseed = bucketSeed(fileId, offset, depth) ^ bucketSeed(fileId, offset, depth - 1);
      page.writeUInt32LE(
        (page.readUInt32LE(offset + BUCKET_BITMAP_OFFSET) ^ reseed) >>> 0,
        offset + BUCKET_BITMAP_OFFSET,
      );
      fs.writeFileSync(path.join(d, String(fileId)), page);
    },
    'pm_ehash_catalog',
    /of local depth \d+ is reached from \d+ entries, expected \d+/,
  ],
  [
    'missing metadata',
    (d) => fs.rmSync(meta(d)),
    'pm_ehash_metadata',
    /missing, but the folder holds catalog or page files/,
  ],
  [
    'an unrelated file in the folder',
    (d) => fs.writeFileSync(path.join(d, 'notes.txt'), 'hello'),
    'notes.txt',
    /not a pmehash file/,
  ],
])('%s is refused, and the store is whole again once the damage is undone', (_label, damage, file, problem) => {
  const dir = makeStore();
  const pristine = snapshot(dir);
  damage(dir);
  expectRefused(dir, file, problem);
  for (const name of fs.readdirSync(dir)) if (!pristine.has(name)) fs.rmSync(path.join(dir, name));
  for (const [name, bytes] of pristine) fs.writeFileSync(path.join(dir, name), bytes as Buffer);
  const store = new PmEHash({ dir });
  expect(store.stats().keys).toBe(3000);
  expect(store.repairs).toEqual([]);
  expect(store.check()).toEqual([]);
  store.close();
});

test('a folder of unrelated files is refused, not turned into a store', () => {
  const dir = tempDir('foreign');
  fs.writeFileSync(path.join(dir, 'photo.jpg'), 'not ours');
  fs.mkdirSync(path.join(dir, 'sub'));
  expectRefused(dir, 'photo.jpg', /not a pmehash file/);
});

test('a file where the folder should be is a clear error', () => {
  const file = path.join(tempDir('file'), 'store');
  fs.writeFileSync(file, 'I am a file');
  expect(() => new PmEHash({ dir: file })).toThrow(PmEHashError);
  expect(() => new PmEHash({ dir: file })).toThrow(/store/);
  expect(fs.readFileSync(file, 'utf8')).toBe('I am a file');
});

test('create: false on a folder that lost its metadata is refused as corrupt, not reported absent', () => {
  const dir = makeStore();
  fs.rmSync(meta(dir));
  const before = snapshot(dir);
  const e = thrown<PmEHashCorruptError>(() => new PmEHash({ dir, create: false }));
  expect(e).toBeInstanceOf(PmEHashCorruptError);
  expect(e.message).toMatch(/missing, but the folder holds catalog or page files/);
  expect(snapshot(dir)).toEqual(before);
});
