// A worker thread's view of a store another thread opened and shared (PmEHash.attach): its own
// mappings of the same files, and the control block for everything threads must agree on. No
// lock is taken and nothing is recovered: the owner did both when it opened the store.

import { META_BUCKETS_PER_PAGE_OFFSET } from '../include-types/layout';
import { Catalog } from './catalog';
import { DataPages } from './data-page';
import { filePath, METADATA_FILE } from './files';
import type { StoreFiles } from './mapped-files';
import { MetadataFile } from './metadata';
import type { SharedControl } from './shared-control';
import { syncWithControl, type StoreState } from './store-state';

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
