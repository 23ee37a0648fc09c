// A worker thread's view of a store another thread opened and shared (PmEHash.attach): its own
// mappings of the same files, and the control block for everything threads must agree on. No
// lock is taken and nothing is recovered: the owner did both when it opened the store.

import { META_BUCKETS_PER_PAGE_OFFSET } from '../include-types/layout';
import { Catalog } from './catalog';
import { DataPages } from './data-page';
import { PmEHashError } from './errors';
import { filePath, METADATA_FILE } from './files';
import { holdsLock } from './lock';
import type { StoreFiles } from './store-files';
import { MetadataFile } from './metadata';
import { CONTROL_BYTES, SharedControl, type ShareHandle } from './shared-control';
import { syncWithControl, type StoreState } from './store-state';

/**
 * The control block of `handle`, once it is shown to be the one of the store open in `dir` (the
 * handle's folder, resolved): a block of the right size that says it is one, whose owner's
 * token names a lock entry this process holds on `dir`, and that is not closed. Anything else
 * (a forged or truncated handle, another store's, a closed store's) is refused before anything
 * is written.
 */
export function checkHandle(handle: ShareHandle, dir: string): SharedControl {
  const bad = (problem: string) => new PmEHashError('PMEHASH_BAD_HANDLE', `share handle for ${dir}: ${problem}`);
  if (handle.control.byteLength !== CONTROL_BYTES)
    throw bad(`its control block has ${handle.control.byteLength} bytes, not ${CONTROL_BYTES}`);
  const ctl = new SharedControl(handle.control);
  const token = ctl.ownerToken();
  if (token === undefined) throw bad('its control block was not made by share()');
  if (ctl.closing) throw new PmEHashError('PMEHASH_CLOSED', `store ${dir} is closed`);
  if (!holdsLock(dir, token))
    throw bad('no store open in this process in that folder made it (another store, or one closed since)');
  return ctl;
}

/** Maps the shared store in `dir` for the thread of log slot `slot`. */
export function attachState(dir: string, files: StoreFiles, ctl: SharedControl, slot: number): StoreState {
  const meta = new MetadataFile(files.map(filePath(dir, METADATA_FILE)), files, slot);
  const pages = new DataPages(dir, meta.buffer.readUInt32LE(META_BUCKETS_PER_PAGE_OFFSET), files);
  const s: StoreState = {
    dir,
    files,
    meta,
    catalog: Catalog.open(dir, files),
    pages,
    maxFileId: 1,
    globalDepth: 0,
    bucketsAtDepth: ctl.bucketsAtDepth,
    repairs: [],
    ctl,
    nextPage: 0,
  };
  syncWithControl(s);
  return s;
}
