// Bucket slots and page files (FORMAT.md, split step 1, merge step 5 and page allocation):
// a split takes the first free slot from the allocation cursor on, a merge gives its slot back,
// and page files are made when a split needs one, or ahead of need while the store is shared.
// Under the structure lock, except the making of a page file ahead of need.

import { filePath, pageFileName } from './files';
import { ioError } from './errors';
import type { SharedControl } from './shared-control';
import { lockStructureInSync, type StoreState } from './store-state';

/**
 * Clears bucket slot `id`'s bit in its page bitmap (persisted), and moves the allocation cursor
 * back to it when it is past it. Under the structure lock.
 */
export function freeBucketSlot(s: StoreState, id: number): void {
  s.pages.setUsed(s.pages.fileIdOfBucket(id), id % s.pages.bucketsPerPage, false);
  s.ctl.allocationCursor = Math.min(s.ctl.allocationCursor, id);
}

/**
 * Gives back bucket slot `id`, which a split took and will not use, and the page file the split
 * claimed to make ahead (nobody else would make it). Under the structure lock.
 */
export function giveBackSlot(s: StoreState, id: number): void {
  const ctl = s.ctl;
  freeBucketSlot(s, id);
  if (s.nextPage) {
    s.nextPage = 0;
    ctl.nextPage = 0;
  }
}

/**
 * Page files are made ahead of need while the store is shared: the thread whose split takes
 * one of the last pageAhead(s) free slots makes the next file after its split, without the
 * structure lock (writing a page file's zeros takes about 150 us, and every split of every other
 * thread would wait that long), then commits it under the lock (FORMAT.md, page allocation).
 * A store that is not shared makes its page files when a split needs one.
 */
function pageAhead(s: StoreState): number {
  return s.ctl.threaded ? Math.max(1, s.pages.bucketsPerPage >>> 2) : 0;
}

/** FORMAT.md, page allocation, for s.nextPage: step 1 without the structure lock, step 2 under it. */
export function makeNextPage(s: StoreState): void {
  const ctl = s.ctl;
  const fileId = s.nextPage;
  s.nextPage = 0;
  try {
    s.pages.createPage(fileId); // this thread has mapped every page before it (takeBucketSlot)
    s.files.syncFolder(s.dir);
  } catch {
    // The split that asked for it is done; a split that finds no free slot makes the file
    // itself, under the structure lock, and reports the error then.
    s.pages.dropLastPage(fileId);
    s.files.remove(filePath(s.dir, pageFileName(fileId)));
    ctl.nextPage = 0;
    return;
  }
  lockStructureInSync(s);
  try {
    s.meta.commit(fileId + 1, s.globalDepth);
    s.maxFileId = fileId + 1;
    ctl.maxFileId = fileId + 1;
    ctl.nextPage = 0;
  } finally {
    ctl.unlockStructure();
  }
}

/** Waits until the page file another thread is making is committed (or given up). */
export function waitForNextPage(ctl: SharedControl): void {
  for (let spins = 0; ctl.nextPage !== 0; spins++) {
    if (spins > 1000) ctl.backOff(spins, 'a new page file');
  }
}

/**
 * FORMAT.md, split step 1: the next bucket slot whose page bitmap bit is clear, from the
 * allocation cursor on (a new page file when there is none), marked used. Under the structure
 * lock. Returns -1 when another thread is making the next page file (wait for it).
 */
export function takeBucketSlot(s: StoreState): number {
  const ctl = s.ctl;
  // No slot below the cursor is free: a merge that frees one moves the cursor back to it.
  // Only committed page files count: a file another thread is making is not yet one.
  const slots = (s.maxFileId - 1) * s.pages.bucketsPerPage;
  const id = s.pages.firstFreeSlot(ctl.allocationCursor, slots);
  if (id >= 0) {
    s.pages.setUsed(s.pages.fileIdOfBucket(id), id % s.pages.bucketsPerPage, true);
    ctl.allocationCursor = id + 1;
    if (slots - id <= pageAhead(s) && ctl.nextPage === 0) {
      ctl.nextPage = s.maxFileId;
      s.nextPage = s.maxFileId;
    }
    return id;
  }
  if (ctl.threaded && ctl.nextPage !== 0) return -1;
  addPage(s);
  const first = (s.maxFileId - 2) * s.pages.bucketsPerPage;
  s.pages.setUsed(s.pages.fileIdOfBucket(first), 0, true);
  ctl.allocationCursor = first + 1;
  return first;
}

/** FORMAT.md, page allocation: steps 1-2. */
function addPage(s: StoreState): void {
  const fileId = s.maxFileId;
  try {
    s.pages.createPage(fileId);
    s.files.syncFolder(s.dir); // the new name must be durable before the commit names it
  } catch (err) {
    s.pages.dropLastPage(fileId);
    s.files.remove(filePath(s.dir, pageFileName(fileId)));
    throw ioError(`cannot create page file ${fileId} in ${s.dir}`, err);
  }
  s.meta.commit(fileId + 1, s.globalDepth);
  s.maxFileId = fileId + 1;
  s.ctl.maxFileId = fileId + 1;
}
