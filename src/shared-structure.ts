// Splits, merges and catalog resizing for a store shared by threads: the steps of structure.ts,
// in the same persist order (FORMAT.md), under the locks of the control block (FORMAT.md,
// "Threads"). Lock order: a bucket's stripe, then the structure lock, then the catalog
// sections in section order; no section is held while waiting for the structure lock, and no
// one waits for a bucket lock while holding anything (a merge only tries its buddy's).

import { LogOp } from '../include-types/layout';
import { filePath, pageFileName } from './files';
import { pow2 } from './bits';
import { DEPTH } from './bucket';
import { SharedControl } from './shared-control';
import type { StoreState } from './store-state';
import { addPage, doubleCatalog, fillNewBucket, finishOldBucket, mergePair, type Redirect } from './structure';

/** The lock id of the bucket at (fileId, offset): equal buckets, equal ids; collisions only share a lock. */
export function lockIdOf(fileId: number, offset: number): number {
  return Math.imul(fileId, 0x9e3779b1) ^ (offset >>> 8);
}

/** Brings this thread's copies up to date with the control block: depth, catalog and page mappings. */
export function syncWithControl(s: StoreState, ctl: SharedControl): void {
  s.globalDepth = ctl.globalDepth;
  s.catalog.ensureCapacity(pow2(s.globalDepth));
  const maxFileId = ctl.maxFileId;
  for (let id = s.pages.pageCount + 1; id < maxFileId; id++) s.pages.mapPage(id);
  s.maxFileId = maxFileId;
}

/** Whether syncWithControl would map something now: a page file or a grown catalog. */
function syncWouldMap(s: StoreState, ctl: SharedControl): boolean {
  return ctl.maxFileId - 1 > s.pages.pageCount || s.catalog.capacity < pow2(ctl.globalDepth);
}

/**
 * Takes the structure lock, with this thread's view in sync with the control block. Every split
 * of every thread takes that lock, and mapping a page file or a grown catalog takes about 100 us:
 * that is done before the lock, and again after giving it back when another thread added one
 * while this one waited for it.
 */
function lockStructureInSync(s: StoreState, ctl: SharedControl): void {
  for (;;) {
    syncWithControl(s, ctl);
    ctl.lockStructure();
    if (!syncWouldMap(s, ctl)) break;
    ctl.unlockStructure();
  }
  syncWithControl(s, ctl); // maps nothing now: depth and file count only
}

/**
 * Splits the full bucket B at (fileId, offset), reached from catalog index i; the caller holds
 * B's lock. FORMAT.md, split: steps 1-2 under the structure lock (which also counts the two
 * buckets at depth d+1 at once, so that no halving can drop that depth meanwhile), step 5 under
 * the shared hold of the entries' catalog sections, with the current depth.
 */
export function sharedSplit(s: StoreState, ctl: SharedControl, i: number, fileId: number, offset: number): void {
  const d = s.pages.words[fileId][(offset >>> 2) + DEPTH];
  const pattern = i & (pow2(d) - 1);
  let nFileId: number;
  let nOffset: number;
  let id: number;
  lockStructureInSync(s, ctl);
  let locked = true; // false while waiting for a page file: then a throw must not unlock
  try {
    id = takeBucketSlot(s, ctl); // step 1
    while (id < 0) {
      // Every slot is taken and another thread is making the next page file: wait for it
      // without the structure lock, which that thread needs to commit the page.
      locked = false;
      ctl.unlockStructure();
      waitForNextPage(ctl);
      lockStructureInSync(s, ctl);
      locked = true;
      id = takeBucketSlot(s, ctl);
    }
    nFileId = s.pages.fileIdOfBucket(id);
    nOffset = s.pages.offsetOfBucket(id);
    if (d === s.globalDepth) {
      // step 2
      let changing = false; // false while waiting for the other threads' redirects to end
      try {
        ctl.beginCatalogChange();
        changing = true;
        doubleCatalog(s);
        ctl.globalDepth = s.globalDepth;
      } catch (err) {
        giveBackSlot(s, ctl, id);
        throw err;
      } finally {
        if (changing) ctl.endCatalogChange();
      }
    }
    ctl.bucketsAtDepth[d]--; // under the structure lock, like every change of these counts
    ctl.bucketsAtDepth[d + 1] += 2;
  } finally {
    if (locked) ctl.unlockStructure();
  }
  fillNewBucket(s, fileId, offset, nFileId, nOffset, d); // step 3
  s.meta.beginLog(LogOp.Split, fileId, offset, nFileId, nOffset, d, pattern); // step 4
  try {
    holdForRedirect(s, ctl, d + 1, pattern | pow2(d));
  } catch (err) {
    abandonSplit(s, ctl, id, d);
    throw err;
  }
  redirectHeld(s, ctl, d + 1, pattern | pow2(d), nFileId, nOffset); // step 5
  finishOldBucket(s, fileId, offset, d); // step 6
  s.meta.endLog(); // step 7
  if (s.nextPage) makeNextPage(s, ctl);
}

/**
 * Gives back bucket slot `id`, which a split took and will not use, and the page file the split
 * claimed to make ahead (nobody else would make it). Under the structure lock.
 */
function giveBackSlot(s: StoreState, ctl: SharedControl, id: number): void {
  s.pages.setUsed(s.pages.fileIdOfBucket(id), id % s.pages.bucketsPerPage, false);
  ctl.allocationCursor = Math.min(ctl.allocationCursor, id);
  if (s.nextPage) {
    s.nextPage = 0;
    ctl.nextPage = 0;
  }
}

/**
 * A split that gave up waiting for its catalog sections (step 5) after logging (step 4): nothing
 * was redirected, B is as it was, and the new bucket is reached from nowhere. Its record is
 * cleared first: redone by a later recovery, it would split B as it is then, after other threads
 * have changed it (B's lock is given back with the error). Then its slot and its counts go back,
 * unless the structure lock cannot be had either (a thread died holding it: the store must be
 * reopened, and recovery counts afresh).
 */
function abandonSplit(s: StoreState, ctl: SharedControl, id: number, d: number): void {
  s.meta.endLog();
  try {
    ctl.lockStructure();
  } catch {
    return;
  }
  try {
    giveBackSlot(s, ctl, id);
    ctl.bucketsAtDepth[d]++;
    ctl.bucketsAtDepth[d + 1] -= 2;
  } finally {
    ctl.unlockStructure();
  }
}

/**
 * Page files are made ahead of need while the store is shared: the thread whose split takes
 * one of the last pageAhead(s) free slots makes the next file after its split, without the
 * structure lock (writing a page file's zeros takes about 150 us, and every split of every other
 * thread would wait that long), then commits it under the lock (FORMAT.md, page allocation).
 */
function pageAhead(s: StoreState): number {
  return Math.max(1, s.pages.bucketsPerPage >>> 2);
}

/** FORMAT.md, page allocation, for s.nextPage: step 1 without the structure lock, step 2 under it. */
function makeNextPage(s: StoreState, ctl: SharedControl): void {
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
  lockStructureInSync(s, ctl);
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
function waitForNextPage(ctl: SharedControl): void {
  for (let spins = 0; ctl.nextPage !== 0; spins++) {
    if (spins > 1000) ctl.backOff(spins, 'a new page file');
  }
}

/**
 * After a remove emptied the bucket reached from catalog index i (the caller holds no lock):
 * merges it with its buddy, and the survivor with its own, while one of a pair is empty and both
 * locks can be had at once; a buddy that is busy ends the merging (the empty bucket stays, and
 * a later remove may merge it). Then halves the catalog while no bucket has depth G.
 * FORMAT.md, merge and catalog halving.
 */
export function sharedMergeEmpty(s: StoreState, ctl: SharedControl, i: number): void {
  const redirectShared: Redirect = (depth, pattern, fileId, offset) =>
    redirectHeld(s, ctl, depth, pattern, fileId, offset);
  const hold = (depth: number, pattern: number) => holdForRedirect(s, ctl, depth, pattern);
  for (;;) {
    syncWithControl(s, ctl);
    const xFile = s.catalog.fileId(i & (pow2(s.globalDepth) - 1));
    const xOffset = s.catalog.offset(i & (pow2(s.globalDepth) - 1));
    const xId = lockIdOf(xFile, xOffset);
    const xHeld = ctl.tryLockBucket(xId);
    if (xHeld === 0) break;
    let yId = -1;
    let yHeld = 0;
    try {
      // Under X's lock, the entry must still lead to X, with no redirect under way. A bucket in
      // a page file another thread made since the sync above ends the merging too (it is
      // optional), rather than being mapped under a lock.
      if (!entryIs(s, ctl, i, xFile, xOffset)) break;
      const xw = s.pages.words[xFile];
      if (xw === undefined) break;
      const d = xw[(xOffset >>> 2) + DEPTH];
      if (d === 0) break;
      const pattern = i & (pow2(d) - 1);
      const buddy = pattern ^ pow2(d - 1);
      const yFile = s.catalog.fileId(buddy);
      const yOffset = s.catalog.offset(buddy);
      if (s.pages.words[yFile] === undefined) break;
      yId = lockIdOf(yFile, yOffset);
      if (!ctl.sameStripe(xId, yId)) {
        yHeld = ctl.tryLockBucket(yId);
        if (yHeld === 0) break;
        if (!entryIs(s, ctl, buddy, yFile, yOffset)) break;
      }
      const gone = mergePair(s, d, pattern, xFile, xOffset, buddy, yFile, yOffset, redirectShared, hold);
      if (gone < 0) break;
      ctl.lockStructure();
      try {
        s.pages.setUsed(s.pages.fileIdOfBucket(gone), gone % s.pages.bucketsPerPage, false); // step 5
        ctl.allocationCursor = Math.min(ctl.allocationCursor, gone);
        ctl.bucketsAtDepth[d] -= 2;
        ctl.bucketsAtDepth[d - 1]++;
      } finally {
        ctl.unlockStructure();
      }
      i = pattern & (pow2(d - 1) - 1);
    } finally {
      if (yHeld !== 0) ctl.unlockBucket(yId, yHeld);
      ctl.unlockBucket(xId, xHeld);
    }
  }
  halveUnusedLevelsShared(s, ctl);
}

/**
 * FORMAT.md, catalog halving, steps 1-2 for each level while no bucket has depth G. The file is
 * not shrunk (step 3) while the store is shared: another thread may map the part that would go.
 */
function halveUnusedLevelsShared(s: StoreState, ctl: SharedControl): void {
  if (ctl.bucketsAtDepth[ctl.globalDepth] !== 0 || ctl.globalDepth === 0) return;
  ctl.lockStructure();
  try {
    syncWithControl(s, ctl);
    while (s.globalDepth > 0 && ctl.bucketsAtDepth[s.globalDepth] === 0) {
      ctl.beginCatalogChange();
      try {
        s.meta.commit(s.maxFileId, s.globalDepth - 1);
        s.globalDepth--;
        ctl.globalDepth = s.globalDepth;
      } finally {
        ctl.endCatalogChange();
      }
    }
  } finally {
    ctl.unlockStructure();
  }
}

/**
 * Whether catalog entry i (at the current depth) leads to (fileId, offset), no redirect being
 * under way. This thread's depth must still be the store's: after a halving, an entry of the
 * upper half is a stale copy that may still name a bucket which has moved on since, and a
 * merge that believed it would point the wrong entries at the survivor.
 */
function entryIs(s: StoreState, ctl: SharedControl, i: number, fileId: number, offset: number): boolean {
  const steady = !SharedControl.busy(ctl.catalogWord()) && !SharedControl.busy(ctl.sectionWord(i));
  if (!steady || ctl.globalDepth !== s.globalDepth) return false;
  const e = i & (pow2(s.globalDepth) - 1);
  return s.catalog.fileId(e) === fileId && s.catalog.offset(e) === offset;
}

/**
 * Before the step "point the entries whose low `depth` bits are `pattern` at a bucket": takes
 * the shared hold of their catalog sections, with this thread's catalog mapped at the depth
 * current then. It may give up waiting (PMEHASH_DEADLOCK) or fail to map; either way it throws
 * before any entry changes, and holds nothing.
 */
function holdForRedirect(s: StoreState, ctl: SharedControl, depth: number, pattern: number): void {
  ctl.beginRedirect(depth, pattern);
  try {
    s.globalDepth = ctl.globalDepth;
    s.catalog.ensureCapacity(pow2(s.globalDepth));
  } catch (err) {
    ctl.endRedirect(depth, pattern);
    throw err;
  }
}

/** The step "point entries at a bucket" under the hold holdForRedirect took, which it gives back. */
function redirectHeld(
  s: StoreState,
  ctl: SharedControl,
  depth: number,
  pattern: number,
  fileId: number,
  offset: number,
): void {
  try {
    s.catalog.redirect(pow2(s.globalDepth), depth, pattern, fileId, offset);
  } finally {
    ctl.endRedirect(depth, pattern);
  }
}

/**
 * FORMAT.md, split step 1 for threads: the next bucket slot whose page bitmap bit is clear,
 * from the shared cursor on (a new page file when there is none), marked used. Under the
 * structure lock.
 */
function takeBucketSlot(s: StoreState, ctl: SharedControl): number {
  // No slot below the cursor is free: a merge that frees one moves the cursor back to it.
  // Only committed page files count: a file another thread is making is not yet one.
  const slots = (s.maxFileId - 1) * s.pages.bucketsPerPage;
  for (let id = ctl.allocationCursor; id < slots; id++) {
    const fileId = s.pages.fileIdOfBucket(id);
    const slot = id % s.pages.bucketsPerPage;
    if (!s.pages.isUsed(fileId, slot)) {
      s.pages.setUsed(fileId, slot, true);
      ctl.allocationCursor = id + 1;
      if (slots - id <= pageAhead(s) && ctl.nextPage === 0) {
        ctl.nextPage = s.maxFileId;
        s.nextPage = s.maxFileId;
      }
      return id;
    }
  }
  if (ctl.nextPage !== 0) return -1; // another thread is making the next page file
  addPage(s);
  ctl.maxFileId = s.maxFileId;
  const id = (s.maxFileId - 2) * s.pages.bucketsPerPage;
  s.pages.setUsed(s.pages.fileIdOfBucket(id), 0, true);
  ctl.allocationCursor = id + 1;
  return id;
}
