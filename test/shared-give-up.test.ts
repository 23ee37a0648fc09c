// A thread of a shared store that gives up waiting in the middle of a split (PMEHASH_DEADLOCK)
// must leave the store as if the split had not started. After logging (the catalog stayed held
// by a doubling that never ended), its log record must not stay valid: redone by a later
// recovery, it would split the bucket as it is by then, after other threads changed it. Before
// a doubling (another thread's redirect never ended), it must give back the bucket slot it took.

import {
  LOG_CHECKSUM_OFFSET,
  LOG_OP_OFFSET,
  LOG_RECORD_SIZE,
  LogOp,
  METADATA_FILE_SIZE,
} from '../include-types/layout';
import { PmEHash } from '../src';
import { pageFileSize, pageHeaderSize } from '../src/data-page';
import { MappedFiles } from '../src/mapped-files';
import { SharedControl } from '../src/shared-control';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

/** Inserts keys from, from+1, ... (below `to`) until one throws: that key and its error. */
function insertUntilThrown(store: PmEHash, from: number, to: number): { failedKey: number; error: unknown } {
  for (let k = from; k < to; k++) {
    try {
      store.insert({ key: k, value: k });
    } catch (error) {
      return { failedKey: k, error };
    }
  }
  return { failedKey: -1, error: undefined };
}

/**
 * Files that call `take` once, at the first persist `matches` accepts: a hold taken at that step
 * of a split, as by another thread that never gives it back.
 */
class HoldAtFirstPersist extends MappedFiles {
  held = false;

  constructor(
    private readonly matches: (buffer: Buffer, offset: number, length: number) => boolean,
    private readonly take: () => void,
  ) {
    super(false);
  }

  override persist(buffer: Buffer, offset: number, length: number): void {
    super.persist(buffer, offset, length);
    if (!this.held && this.matches(buffer, offset, length)) {
      this.held = true;
      this.take();
    }
  }
}

test('a split that gives up waiting for the catalog after logging leaves no record for recovery to redo', () => {
  const dir = tempDir('give-up');
  const owner = new PmEHash({ dir, bucketsPerPage: 16 });
  // Buckets below the global depth, so that the next splits need no doubling of their own.
  for (let k = 0; k < 3000; k++) owner.insert({ key: k, value: k });
  const handle = owner.share();
  const ctl = new SharedControl(handle.control);
  // The catalog's exclusive hold, taken when a split's log record is persisted: a doubling that never ends.
  const files = new HoldAtFirstPersist(
    (buffer, offset, length) =>
      buffer.length === METADATA_FILE_SIZE &&
      length === LOG_RECORD_SIZE &&
      buffer.readUInt32LE(offset + LOG_OP_OFFSET) === LogOp.Split &&
      buffer.readUInt32LE(offset + LOG_CHECKSUM_OFFSET) !== 0,
    () => ctl.beginCatalogChange(),
  );
  const worker = new PmEHash({ dir: handle.dir }, files, handle);

  const { failedKey, error } = insertUntilThrown(worker, 3000, 10_000);
  expect(files.held).toBe(true);
  expect(error).toMatchObject({ code: 'PMEHASH_DEADLOCK' });
  ctl.endCatalogChange();
  worker.close(); // its log slot is let go as it is

  // The owner goes on with the same buckets: the failed key, and enough keys to split them again.
  expect(owner.insert({ key: failedKey, value: failedKey })).toBe(0);
  for (let k = failedKey + 1; k < 12_000; k++) owner.insert({ key: k, value: k });
  expect(owner.check()).toEqual([]);
  owner.close();

  const reopened = new PmEHash({ dir });
  expect(reopened.repairs.filter((r) => r.startsWith('redid'))).toEqual([]);
  expect(reopened.check()).toEqual([]);
  expect(reopened.size).toBe(12_000);
  const out: { value?: bigint } = {};
  let missing = 0;
  for (let k = 0; k < 12_000; k++) if (reopened.search(k, out) !== 0 || out.value !== BigInt(k)) missing++;
  expect(missing).toBe(0);
  reopened.close();
});

test('a split that gives up waiting to double the catalog gives back the bucket slot it took', () => {
  const dir = tempDir('give-up-doubling');
  const owner = new PmEHash({ dir, bucketsPerPage: 16 });
  const handle = owner.share(); // one bucket at depth 0: the first split doubles the catalog
  const ctl = new SharedControl(handle.control);
  // A redirect's shared hold, taken at the first page-bitmap persist (a split taking its slot): a
  // redirect that never ends.
  const files = new HoldAtFirstPersist(
    (buffer, offset, length) => buffer.length === pageFileSize(16) && offset < pageHeaderSize(16) && length === 4,
    () => ctl.beginRedirect(0, 0), // depth 0: every section
  );
  const worker = new PmEHash({ dir: handle.dir }, files, handle);

  const { failedKey, error } = insertUntilThrown(worker, 0, 100);
  expect(files.held).toBe(true);
  expect(error).toMatchObject({ code: 'PMEHASH_DEADLOCK' });
  expect(worker.stats().globalDepth).toBe(0); // the doubling did not happen
  ctl.endRedirect(0, 0);

  // The same thread goes on: the failed key again, then enough keys for many splits.
  expect(worker.insert({ key: failedKey, value: failedKey })).toBe(0);
  for (let k = failedKey + 1; k < 5000; k++) worker.insert({ key: k, value: k });
  expect(worker.check()).toEqual([]); // no slot left taken by the split that gave up
  worker.close();
  owner.close();

  const reopened = new PmEHash({ dir });
  expect(reopened.repairs).toEqual([]);
  expect(reopened.size).toBe(5000);
  reopened.close();
});
