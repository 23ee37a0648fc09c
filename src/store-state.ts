// What an open store holds in memory besides its mappings: the state both creation and
// recovery hand to PmEHash. Every place that makes one (open-store.ts, recovery.ts, attach.ts)
// gives it every field, in the same order: a field added later changes the object's hidden
// class, and V8 then throws away the optimized code of every hot function that reads it.

import type { Catalog } from './catalog';
import type { DataPages } from './data-page';
import type { StoreFiles } from './mapped-files';
import type { MetadataFile } from './metadata';
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
   * its too, and this thread's copies are refreshed from it (structure.ts, syncWithControl).
   */
  ctl: SharedControl;
  /** A page file this thread is to make ahead of need, once its split is done (0: none). */
  nextPage: number;
}
