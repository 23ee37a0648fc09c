// Opening, closing, destroying, options and stats.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHash, PmEHashError } from '../src';
import { defaultFolders } from '../src/files';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

test('a new folder gets metadata, catalog and one page file', () => {
  const dir = path.join(tempDir('create'), 'nested', 'store');
  const store = new PmEHash({ dir });
  expect(fs.readdirSync(dir).sort()).toEqual(['1', 'pm_ehash_catalog', 'pm_ehash_lock', 'pm_ehash_metadata']);
  expect(store.stats()).toEqual({
    backend: store.backend,
    globalDepth: 0,
    catalogSize: 1,
    buckets: 1,
    pageFiles: 1,
    keys: 0,
    loadFactor: 0,
  });
  store.close();
  expect(fs.readdirSync(dir).sort()).toEqual(['1', 'pm_ehash_catalog', 'pm_ehash_metadata']);
});

test('closing a closed store is harmless', () => {
  const dir = tempDir('closed');
  const store = new PmEHash({ dir });
  store.insert({ key: 1, value: 1 });
  store.close();
  expect(() => store.close()).not.toThrow();
  const again = new PmEHash({ dir }); // the second close released nothing it no longer held
  expect(again.stats().keys).toBe(1);
  again.close();
});

test('every operation on a closed store throws PMEHASH_CLOSED', () => {
  const store = new PmEHash({ dir: tempDir('closed') });
  store.insert({ key: 1, value: 1 });
  store.close();
  const calls: Array<() => unknown> = [
    () => store.insert({ key: 2, value: 2 }),
    () => store.update({ key: 1, value: 3 }),
    () => store.remove(1),
    () => store.search(1, {}),
    () => store.stats(),
    () => store.check(),
    () => store.selfDestory(),
    () => store.words.insertWords(1, 0, 1, 0),
    () => store.words.searchWords(1, 0, new Uint32Array(2)),
    () => store.words.updateWords(1, 0, 1, 0),
    () => store.words.removeWords(1, 0),
    () => store.words.prefetchWords(new Uint32Array(1), new Uint32Array(1), 0, 1),
    () => store.get(1),
    () => store.has(1),
    () => store.set(1, 2),
    () => store.delete(1),
    () => store.size,
    () => store.clear(),
    () => store.entries().next(),
    () => [...store.keys()],
    () => store.batch([{ type: 'del', key: 1 }]),
  ];
  for (const call of calls) {
    expect(call).toThrow(PmEHashError);
    expect(call).toThrow(/closed/);
  }
});

/** Resident pages of mapped files (RssFile + RssShmem in /proc/self/status), in bytes. */
function mappedFileRss(): number {
  const status = fs.readFileSync('/proc/self/status', 'latin1');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return (kb('RssFile') + kb('RssShmem')) * 1024;
}

test('close gives back the mapped pages at once, and the data stays in the files', () => {
  const dir = tempDir('release');
  const store = new PmEHash({ dir });
  for (let k = 0; k < 300_000; k++) store.words.insertWords(k, 0, k, 7);
  const storeBytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  expect(storeBytes).toBeGreaterThan(8e6);
  const before = mappedFileRss();
  store.close();
  // Without the release the pages would stay resident until the mappings are garbage-collected.
  expect(before - mappedFileRss()).toBeGreaterThan(0.8 * storeBytes);
  const reopened = new PmEHash({ dir });
  const out = new Uint32Array(2);
  for (let k = 0; k < 300_000; k += 997) {
    expect(reopened.words.searchWords(k, 0, out)).toBe(0);
    expect([out[0], out[1]]).toEqual([k, 7]);
  }
  expect(reopened.check()).toEqual([]);
  reopened.close();
});

test('selfDestory removes every store file and leaves hidden files alone', () => {
  const dir = tempDir('destroy');
  fs.writeFileSync(path.join(dir, '.gitkeep'), '');
  const store = new PmEHash({ dir, bucketsPerPage: 16 });
  for (let k = 0; k < 5000; k++) store.insert({ key: k, value: k });
  expect(store.stats().pageFiles).toBeGreaterThan(10);
  store.selfDestroy();
  expect(fs.readdirSync(dir)).toEqual(['.gitkeep']);
  expect(store.isClosed).toBe(true);
  const again = new PmEHash({ dir }); // a fresh, empty store
  expect(again.stats().keys).toBe(0);
  again.selfDestory();
});

test('PMEHASH_DIR chooses the default folder', () => {
  const dir = tempDir('env');
  const saved = process.env.PMEHASH_DIR;
  process.env.PMEHASH_DIR = dir;
  try {
    const store = new PmEHash();
    expect(store.dir).toBe(path.resolve(dir));
    store.close();
  } finally {
    if (saved === undefined) delete process.env.PMEHASH_DIR;
    else process.env.PMEHASH_DIR = saved;
  }
  expect(fs.existsSync(path.join(dir, 'pm_ehash_metadata'))).toBe(true);
});

test('bad options are refused before anything is created', () => {
  const dir = path.join(tempDir('options'), 'never');
  expect(() => new PmEHash({ dir, durability: 'fast' as never })).toThrow(TypeError);
  expect(() => new PmEHash({ dir, bucketsPerPage: 0 })).toThrow(RangeError);
  expect(() => new PmEHash({ dir, bucketsPerPage: 1.5 })).toThrow(RangeError);
  expect(() => new PmEHash({ dir: 5 as never })).toThrow(TypeError);
  expect(fs.existsSync(dir)).toBe(false);
});

test('stats() counts buckets, pages, keys and the load factor', () => {
  const store = new PmEHash({ dir: tempDir('stats'), bucketsPerPage: 16 });
  for (let k = 0; k < 1000; k++) store.insert({ key: k, value: 0 });
  const s = store.stats();
  expect(s.keys).toBe(1000);
  expect(s.catalogSize).toBe(2 ** s.globalDepth);
  expect(s.buckets).toBeGreaterThanOrEqual(Math.ceil(1000 / 15));
  expect(s.pageFiles).toBeGreaterThanOrEqual(Math.ceil(s.buckets / 16));
  expect(s.loadFactor).toBeCloseTo(1000 / (s.buckets * 15), 10);
  store.close();
});

test('a selfDestory cut short (metadata renamed, some files removed) opens as a fresh store', () => {
  const dir = tempDir('destroy-cut');
  const store = new PmEHash({ dir, bucketsPerPage: 16 });
  for (let k = 0; k < 3000; k++) store.insert({ key: k, value: k });
  store.close();
  // What removeStoreFiles leaves if it dies after its rename and a few removals.
  fs.renameSync(path.join(dir, 'pm_ehash_metadata'), path.join(dir, 'pm_ehash_metadata.creating'));
  fs.rmSync(path.join(dir, '2'));
  fs.rmSync(path.join(dir, 'pm_ehash_catalog'));
  const again = new PmEHash({ dir });
  expect(again.stats()).toMatchObject({ keys: 0, pageFiles: 1, globalDepth: 0 });
  expect(again.check()).toEqual([]);
  again.close();
  expect(fs.readdirSync(dir).sort()).toEqual(['1', 'pm_ehash_catalog', 'pm_ehash_metadata']);
});

test('the default folder is pmehash-data/ in the current folder outside this repository, and its data/ inside', () => {
  const saved = { dir: process.env.PMEHASH_DIR, cwd: process.cwd() };
  delete process.env.PMEHASH_DIR;
  const elsewhere = tempDir('cwd');
  try {
    process.chdir(elsewhere);
    expect(defaultFolders().store).toBe(path.join(fs.realpathSync(elsewhere), 'pmehash-data'));
    process.chdir(path.join(__dirname, '..', 'src'));
    expect(defaultFolders().store).toBe(path.resolve(__dirname, '..', 'data'));
  } finally {
    process.chdir(saved.cwd);
    if (saved.dir !== undefined) process.env.PMEHASH_DIR = saved.dir;
  }
});
