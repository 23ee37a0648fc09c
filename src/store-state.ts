// What an open store holds in memory besides its mappings: the state both creation and
// recovery hand to PmEHash, and how a thread keeps its copies in step with the control block. Every place that makes one (open-store.ts, recovery.ts, attach.ts)
// gives it every field, in the same order: a field added later changes the object's hidden
// class, and V8 then throws away the optimized code of every hot function that reads it.

import type { Catalog } from './catalog';
import type { DataPages } from './data-page';
import type { StoreFiles } from './store-files';
import type { MetadataFile } from './metadata';
import { pow2 } from './bits';
import type { SharedControl } from './shared-control';

export interface StoreState {
  /** The store folder. */
  dir: string;
  /** The folder's files: mapping, persist, creation and removal. */
  files: StoreFiles;
  meta: MetadataFile;
  catalog: Catalog;
  pages: DataPages;
  maxFileId: number;
  globalDepth: number;
  /**
   * bucketsAtDepth[d]: buckets of local depth d; the catalog halves when none has depth G. A
   * view into the control block.
   */
  bucketsAtDepth: Int32Array;
  /** What recovery repaired (empty after a clean shutdown). */
  repairs: string[];
  /**
   * The control block: locks, the bucket counts, the key count of each thread slot and the
   * allocation cursor. Once the store is shared (ctl.threaded), globalDepth and maxFileId are
   * its too, and this thread's copies are refreshed from it (syncWithControl, below).
   */
  ctl: SharedControl;
  /** A page file this thread is to make ahead of need, once its split is done (0: none). */
  nextPage: number;
}

/**
 * Brings this thread's copies up to date with the control block: depth, catalog and page
 * mappings. Nothing to do while the store is not shared: the copies are the store's numbers.
 */
export function syncWithControl(s: StoreState): void {
  const ctl = s.ctl;
  if (!ctl.threaded) return;
  s.globalDepth = ctl.globalDepth;
  s.catalog.ensureCapacity(pow2(s.globalDepth));
  const maxFileId = ctl.maxFileId;
  for (let id = s.pages.pageCount + 1; id < maxFileId; id++) s.pages.mapPage(id);
  s.maxFileId = maxFileId;
}

/**
 * Takes the structure lock, with this thread's view in sync with the control block. Every split
 * of every thread takes that lock, and mapping a page file or a grown catalog takes about 100 us:
 * that is done without the lock, when the numbers read under it show another thread added one.
 */
export function lockStructureInSync(s: StoreState): void {
  const ctl = s.ctl;
  ctl.lockStructure();
  if (!ctl.threaded) return;
  for (;;) {
    const depth = ctl.heldGlobalDepth;
    const maxFileId = ctl.heldMaxFileId;
    if (maxFileId - 1 <= s.pages.pageCount && s.catalog.capacity >= pow2(depth)) {
      s.globalDepth = depth;
      s.maxFileId = maxFileId;
      return;
    }
    ctl.unlockStructure();
    syncWithControl(s);
    ctl.lockStructure();
  }
}
