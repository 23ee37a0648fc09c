// I/O failures while the store grows (a new page file, a catalog doubling) surface as errors,
// and leave the store consistent and usable; an unreadable folder is a clear error.

import * as fs from 'node:fs';
import { PmEHash, PmEHashError } from '../src';
import { MappedFiles } from '../src/mapped-files';
import { removeCompiled, runCompiled } from './helpers/compile';
import { removeTempDirs, tempDir } from './helpers/temp';
import { FailingFiles, type FileOperation } from './helpers/test-files';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
}

test.each<[FileOperation, string, boolean]>([
  ['create', 'a new page file', false],
  ['grow', 'a catalog doubling', false],
  ['create', 'a new page file', true],
  ['grow', 'a catalog doubling', true],
])(
  'a failing %s (%s; shared: %s) throws PMEHASH_IO and the store stays consistent and usable',
  (operation, _, shared) => {
    const dir = tempDir('fault');
    const files = new FailingFiles(false);
    const store = new PmEHash({ dir, bucketsPerPage: 2 }, files);
    if (shared) store.share(); // the threads' path: pages made ahead, slots from the page bitmaps
    let inserted = 0;
    let failure: unknown;
    files.failure = (op) => {
      if (op === operation && inserted >= 200) throw enospc();
    };
    for (let k = 0; k < 5000 && !failure; k++) {
      try {
        expect(store.insert({ key: k, value: k + 1 })).toBe(0);
        inserted++;
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toBeInstanceOf(PmEHashError);
    expect((failure as PmEHashError).code).toBe('PMEHASH_IO');
    expect((failure as PmEHashError).message).toMatch(/ENOSPC/);
    expect(store.check()).toEqual([]);
    const out: { value?: bigint } = {};
    for (let k = 0; k < inserted; k++) expect(store.search(k, out)).toBe(0);
    expect(store.search(inserted, out)).toBe(-1); // the failed insert left nothing
    expect(store.stats().keys).toBe(inserted);
    // Space comes back: the same insert now succeeds, and the store reopens clean.
    files.failure = undefined;
    expect(store.insert({ key: inserted, value: inserted + 1 })).toBe(0);
    // And it keeps growing: new page files, splits and doublings after the failure.
    const more = 2000;
    for (let k = inserted + 1; k <= inserted + more; k++) expect(store.insert({ key: k, value: k + 1 })).toBe(0);
    expect(store.check()).toEqual([]);
    store.close();
    const again = new PmEHash({ dir });
    expect(again.stats().keys).toBe(inserted + 1 + more);
    expect(again.check()).toEqual([]);
    expect(again.repairs).toEqual([]);
    again.close();
  },
);

test('durability process never msyncs', () => {
  const dirProcess = tempDir('durable');
  const processFiles = new MappedFiles(false);
  const fast = new PmEHash({ dir: dirProcess }, processFiles);
  for (let k = 0; k < 100; k++) fast.insert({ key: k, value: k });
  expect(processFiles.persists).toBeGreaterThanOrEqual(200);
  expect(processFiles.msyncs).toBe(0);
  fast.close();
});

test('durability sync msyncs every persist', () => {
  const dirSync = tempDir('durable');
  const syncFiles = new MappedFiles(true);
  const safe = new PmEHash({ dir: dirSync, durability: 'sync' }, syncFiles);
  const start = syncFiles.msyncs;
  safe.insert({ key: 1, value: 1 });
  expect(syncFiles.msyncs - start).toBe(2); // the pair, then its bitmap bit
  safe.update({ key: 1, value: 2 });
  expect(syncFiles.msyncs - start).toBe(5); // log, value, log cleared
  for (let k = 2; k < 200; k++) safe.insert({ key: k, value: k });
  safe.close();
  const reopened = new PmEHash({ dir: dirSync });
  expect(reopened.stats().keys).toBe(199);
  expect(reopened.check()).toEqual([]);
  reopened.close();
});

test('an unreadable folder (permission denied) is a clear PMEHASH_IO error and stays untouched', () => {
  const dir = tempDir('perm');
  new PmEHash({ dir }).close();
  fs.chmodSync(dir, 0o000);
  try {
    const r = runCompiled('try-open.ts', [dir, 'nobody']);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: false, code: 'PMEHASH_IO' });
    expect(result.message).toContain(dir);
    expect(result.message).toMatch(/EACCES/);
  } finally {
    fs.chmodSync(dir, 0o755);
  }
  expect(fs.readdirSync(dir).sort()).toEqual(['1', 'pm_ehash_catalog', 'pm_ehash_metadata']);
});

test('a shared store makes page files ahead of need, and one it fails to make is made when needed', () => {
  const dir = tempDir('ahead');
  const files = new FailingFiles(false);
  const bucketsPerPage = 8; // a page file is made ahead when a split takes one of the last 2 slots
  const store = new PmEHash({ dir, bucketsPerPage }, files);
  store.share(); // this thread writes through the shared path; no worker is needed to see the policy
  let creations = 0;
  files.failure = (op) => {
    if (op !== 'create') return;
    creations++;
    if (creations === 3 || creations === 4) throw enospc(); // both tries ahead of the third page
  };
  const freeAfter: number[] = [];
  for (let k = 0; k < 3000; k++) {
    expect(store.insert({ key: k, value: k + 1 })).toBe(0);
    const { buckets, pageFiles } = store.stats();
    freeAfter.push(pageFiles * bucketsPerPage - buckets);
  }
  expect(creations).toBeGreaterThan(4); // the failures happened, and every insert succeeded
  // Once (after the two failed tries) every slot was taken, until the next split made the page.
  const episodesWithoutFreeSlot = freeAfter.filter((free, i) => free === 0 && freeAfter[i - 1] !== 0).length;
  expect(episodesWithoutFreeSlot).toBe(1);
  expect(store.check()).toEqual([]);
  const { pageFiles } = store.stats();
  expect(fs.readdirSync(dir).filter((name) => /^\d+$/.test(name))).toHaveLength(pageFiles); // no stray file
  store.close();
  const again = new PmEHash({ dir });
  expect(again.repairs).toEqual([]);
  expect(again.check()).toEqual([]);
  expect(again.stats().keys).toBe(3000);
  again.close();
});

test('without failures a shared store always keeps a free bucket slot made ahead', () => {
  const dir = tempDir('ahead-free');
  const bucketsPerPage = 8;
  const store = new PmEHash({ dir, bucketsPerPage });
  store.share();
  let leastFree = Infinity;
  for (let k = 0; k < 3000; k++) {
    store.insert({ key: k, value: k });
    const { buckets, pageFiles } = store.stats();
    leastFree = Math.min(leastFree, pageFiles * bucketsPerPage - buckets);
  }
  expect(leastFree).toBeGreaterThan(0);
  store.close();
});

test('a shared split whose catalog doubling fails gives back the page file it claimed ahead', () => {
  // With 2 buckets a page, a split that takes a page's last slot claims the next page file; try
  // failing the doublings one by one until one fails in such a split.
  let claimedAtFailure = 0;
  for (let failing = 1; failing <= 8; failing++) {
    const dir = tempDir('fault-claim');
    const files = new FailingFiles(false);
    const store = new PmEHash({ dir, bucketsPerPage: 2 }, files);
    store.share();
    const ctl = store.words.state.ctl;
    let grows = 0;
    let claimed = false;
    files.failure = (op) => {
      if (op !== 'grow' || ++grows !== failing) return;
      claimed = ctl.nextPage !== 0;
      throw enospc();
    };
    let failed = false;
    for (let k = 0; k < 3000 && !failed; k++) {
      try {
        store.insert({ key: k, value: k });
      } catch (err) {
        expect((err as PmEHashError).code).toBe('PMEHASH_IO');
        failed = true;
      }
    }
    expect(failed).toBe(true);
    expect(ctl.nextPage).toBe(0); // no claim is left for a split that ended
    if (claimed) claimedAtFailure++;
    files.failure = undefined;
    for (let k = 3000; k < 4000; k++) expect(store.insert({ key: k, value: k })).toBe(0); // needs new pages
    expect(store.check()).toEqual([]);
    store.close();
  }
  expect(claimedAtFailure).toBeGreaterThan(0); // the case this test is for did happen
});

test.each([false, true])(
  'a page file whose folder fsync fails is unmapped and removed, and the next one is made in its place (shared: %s)',
  (shared) => {
    const dir = tempDir('fault-fsync');
    const files = new FailingFiles(true);
    const store = new PmEHash({ dir, bucketsPerPage: 2, durability: 'sync' }, files);
    if (shared) store.share();
    let syncs = 0;
    files.failure = (op) => {
      if (op === 'sync-folder' && ++syncs === 8)
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    };
    let refused = 0;
    let inserted = 0;
    for (let k = 0; k < 400; k++) {
      try {
        if (store.insert({ key: k, value: k }) === 0) inserted++;
      } catch (err) {
        expect((err as PmEHashError).code).toBe('PMEHASH_IO');
        refused++;
      }
    }
    expect(syncs).toBeGreaterThan(8); // the failure happened, and page files were made after it
    expect(refused).toBe(shared ? 0 : 1); // made ahead (shared), the failure is the next split's to retry
    expect(store.check()).toEqual([]);
    const { keys, pageFiles } = store.stats();
    expect(keys).toBe(inserted);
    expect(fs.readdirSync(dir).filter((name) => /^\d+$/.test(name))).toHaveLength(pageFiles);
    store.close();
    const again = new PmEHash({ dir });
    expect(again.repairs).toEqual([]);
    expect(again.stats().keys).toBe(inserted);
    again.close();
  },
);
