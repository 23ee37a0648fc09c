// Structure changes of the extendible hash: bucket split and merge, catalog doubling and
// halving (bucket slots and page files are bucket-slots.ts'). Each follows the persist order of its section
// in FORMAT.md, cited by step, under the locks of the control block (FORMAT.md, "Threads"),
// which are no-ops until the store is shared (SharedControl.threaded): one code path for one
// thread and for many. Lock order: a bucket's stripe, then the structure lock, then the catalog
// sections in section order; no section is held while waiting for the structure lock, and no
// one waits for a bucket lock while holding anything (a merge only tries its buddy's). The
// caller (WordStore) refreshes what it caches about the catalog afterwards.

import * as layout from '../include-types/layout';
import { LogOp, MAX_GLOBAL_DEPTH } from '../include-types/layout';
import * as bucket from './bucket';
import { bucketSeed, copySlot, slotCheck } from './bucket';
import { pow2 } from './bits';
import { ioError, PmEHashError } from './errors';
import { CATALOG_FILE } from './files';
import { hashKey } from './hash';
import { giveBackSlot, freeBucketSlot, takeBucketSlot, waitForNextPage } from './bucket-slots';
import { lockIdOf, SharedControl } from './shared-control';
import { lockStructureInSync, syncWithControl, type StoreState } from './store-state';

// The hot path's constants as this module's own (see "Constants on the hot path" in bucket.ts).
const { BUCKET_KV_SLOTS, BUCKET_SIZE } = layout;
const { BITMAP, DEPTH, KEY_HI, KEY_LO, USED, VALUE } = bucket;

/**
 * Splits the full bucket B at (fileId, offset), reached from catalog index i; the caller holds
 * B's lock. FORMAT.md, split: steps 1-2 under the structure lock (which also counts the two
 * buckets at depth d+1 at once, so that no halving can drop that depth meanwhile), step 5 under
 * the shared hold of the entries' catalog sections, with the current depth.
 */
export function split(s: StoreState, i: number, fileId: number, offset: number): void {
  const ctl = s.ctl;
  const d = s.pages.words[fileId][(offset >>> 2) + DEPTH];
  const pattern = i & (pow2(d) - 1);
  let id: number;
  lockStructureInSync(s);
  let locked = true; // false while waiting for a page file: then a throw must not unlock
  try {
    id = takeBucketSlot(s); // step 1
    while (id < 0) {
      // Every slot is taken and another thread is making the next page file: wait for it
      // without the structure lock, which that thread needs to commit the page.
      locked = false;
      ctl.unlockStructure();
      waitForNextPage(ctl);
      lockStructureInSync(s);
      locked = true;
      id = takeBucketSlot(s);
    }
    if (d === s.globalDepth) {
      try {
        doubleCatalog(s); // step 2
      } catch (err) {
        giveBackSlot(s, id);
        throw err;
      }
    }
    s.bucketsAtDepth[d]--; // under the structure lock, like every change of these counts
    s.bucketsAtDepth[d + 1] += 2;
  } finally {
    if (locked) ctl.unlockStructure();
  }
  const nFileId = s.pages.fileIdOfBucket(id);
  const nOffset = s.pages.offsetOfBucket(id);
  const left = fillNewBucket(s, fileId, offset, nFileId, nOffset, d); // step 3
  s.meta.beginLog(LogOp.Split, fileId, offset, nFileId, nOffset, d, pattern); // step 4
  try {
    holdForRedirect(s, d + 1, pattern | pow2(d));
  } catch (err) {
    abandonSplit(s, id, d);
    throw err;
  }
  redirectHeld(s, d + 1, pattern | pow2(d), nFileId, nOffset); // step 5
  finishOldBucket(s, fileId, offset, d, left); // step 6
  s.meta.endLog(); // step 7
}

/**
 * Split step 3: copies into the new bucket N the keys of the full bucket B whose hash bit d is
 * 1, with their checksum, local depth d+1, and persists N. Returns what leaves B, for step 6:
 * the used bits of the keys that moved (bits 0-14) and their checksum part (bits 15-31, the
 * same in B and in N), in one word. Not read back from N in step 6: from step 5 on, other
 * threads may write into N.
 */
function fillNewBucket(
  s: StoreState,
  fileId: number,
  offset: number,
  nFileId: number,
  nOffset: number,
  d: number,
): number {
  const w = s.pages.words[fileId];
  const b = offset >>> 2;
  const nw = s.pages.words[nFileId];
  const nb = nOffset >>> 2;
  let moved = 0; // used bits leaving B, which are N's used bits too
  let movedCheck = 0; // their checksum contributions, the same in B and in N
  // A key that moves keeps its slot number in N, so its checksum part is the same in both
  // buckets and is worked out once. Without a branch on the hash bit, which is a coin toss for
  // every key: every slot is copied, and the bits are set only for the keys that move (a copy
  // that does not is left in a slot N does not use).
  for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
    const h = hashKey(w[b + KEY_LO + j], w[b + KEY_HI + j]);
    const move = (h >>> d) & 1;
    copySlot(w, b, j, nw, nb, j);
    moved |= move << j;
    movedCheck ^= slotCheck(h, j, w[b + VALUE + 2 * j], w[b + VALUE + 2 * j + 1]) & -move;
  }
  nw[nb + BITMAP] = moved ^ movedCheck ^ bucketSeed(nFileId, nOffset, d + 1);
  nw[nb + DEPTH] = d + 1;
  s.pages.persistBucket(nFileId, nOffset);
  return moved | movedCheck;
}

/**
 * Split step 6: clears from B the keys that left it (`left`, from fillNewBucket), sets its
 * local depth d+1 (and the seed of its checksum with it), persists B.
 */
function finishOldBucket(s: StoreState, fileId: number, offset: number, d: number, left: number): void {
  const w = s.pages.words[fileId];
  const b = offset >>> 2;
  const reseed = bucketSeed(fileId, offset, d) ^ bucketSeed(fileId, offset, d + 1);
  w[b + BITMAP] = (w[b + BITMAP] & ~(left & USED)) ^ (left & ~USED) ^ reseed; // B was full: every slot j was used
  w[b + DEPTH] = d + 1;
  s.pages.persistRange(fileId, offset, BUCKET_SIZE);
}

/**
 * A split that gave up waiting for its catalog sections (step 5) after logging (step 4): nothing
 * was redirected, B is as it was, and the new bucket is reached from nowhere. Its record is
 * cleared first: redone by a later recovery, it would split B as it is then, after other threads
 * have changed it (B's lock is given back with the error). Then its slot and its counts go back,
 * unless the structure lock cannot be had either (a thread died holding it: the store must be
 * reopened, and recovery counts afresh).
 */
function abandonSplit(s: StoreState, id: number, d: number): void {
  const ctl = s.ctl;
  s.meta.endLog();
  try {
    ctl.lockStructure();
  } catch {
    return;
  }
  try {
    giveBackSlot(s, id);
    s.bucketsAtDepth[d]++;
    s.bucketsAtDepth[d + 1] -= 2;
  } finally {
    ctl.unlockStructure();
  }
}

/**
 * After a remove emptied the bucket reached from catalog index i (the caller holds no lock):
 * merges it with its buddy, and the survivor with its own, while one of a pair is empty and both
 * locks can be had at once; a buddy that is busy ends the merging (the empty bucket stays, and
 * a later remove may merge it). Then halves the catalog while no bucket has depth G.
 * FORMAT.md, merge and catalog halving.
 */
export function mergeEmpty(s: StoreState, i: number): void {
  const ctl = s.ctl;
  for (;;) {
    syncWithControl(s);
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
      if (!entryIs(s, i, xFile, xOffset)) break;
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
        if (!entryIs(s, buddy, yFile, yOffset)) break;
      }
      const gone = mergePair(s, d, pattern, xFile, xOffset, buddy, yFile, yOffset);
      if (gone < 0) break;
      ctl.lockStructure();
      try {
        freeBucketSlot(s, gone); // step 5
        s.bucketsAtDepth[d] -= 2;
        s.bucketsAtDepth[d - 1]++;
      } finally {
        ctl.unlockStructure();
      }
      i = pattern & (pow2(d - 1) - 1);
    } finally {
      if (yHeld !== 0) ctl.unlockBucket(yId, yHeld);
      ctl.unlockBucket(xId, xHeld);
    }
  }
  halveUnusedLevels(s);
}

/**
 * Whether catalog entry i (at the current depth) leads to (fileId, offset), no redirect being
 * under way. This thread's depth must still be the store's: after a halving, an entry of the
 * upper half is a stale copy that may still name a bucket which has moved on since, and a
 * merge that believed it would point the wrong entries at the survivor.
 */
function entryIs(s: StoreState, i: number, fileId: number, offset: number): boolean {
  const ctl = s.ctl;
  if (ctl.threaded) {
    const steady = !SharedControl.busy(ctl.catalogWord()) && !SharedControl.busy(ctl.sectionWord(i));
    if (!steady || ctl.globalDepth !== s.globalDepth) return false;
  }
  const e = i & (pow2(s.globalDepth) - 1);
  return s.catalog.fileId(e) === fileId && s.catalog.offset(e) === offset;
}

/**
 * FORMAT.md, merge: steps 1-4, for bucket X (at catalog pattern `pattern`, local depth d) and its
 * buddy Y (at `buddy`), when Y has depth d too and one of them is empty: the empty one E goes,
 * the other one S stays with depth d-1, and E's entries are pointed at S under the shared hold
 * of their catalog sections. Waiting for that hold may give up (then the merge is abandoned with
 * its record cleared, and the error thrown). Returns E's bucket id, for step 5, or -1 when they
 * cannot merge.
 */
function mergePair(
  s: StoreState,
  d: number,
  pattern: number,
  xFile: number,
  xOffset: number,
  buddy: number,
  yFile: number,
  yOffset: number,
): number {
  const xw = s.pages.words[xFile];
  const yw = s.pages.words[yFile];
  if (yw[(yOffset >>> 2) + DEPTH] !== d) return -1;
  const xEmpty = (xw[(xOffset >>> 2) + BITMAP] & USED) === 0;
  if (!xEmpty && (yw[(yOffset >>> 2) + BITMAP] & USED) !== 0) return -1;
  const [eFile, eOffset, ePattern, sFile, sOffset, sw] = xEmpty
    ? [xFile, xOffset, pattern, yFile, yOffset, yw]
    : [yFile, yOffset, buddy, xFile, xOffset, xw];

  s.meta.beginLog(LogOp.Merge, eFile, eOffset, sFile, sOffset, d, ePattern); // step 1
  try {
    holdForRedirect(s, d, ePattern);
  } catch (err) {
    // Nothing was redirected yet: the merge is given up, and its record with it, so that no
    // recovery redoes it over what other threads change in E and S afterwards.
    s.meta.endLog();
    throw err;
  }
  redirectHeld(s, d, ePattern, sFile, sOffset); // step 2
  sw[(sOffset >>> 2) + DEPTH] = d - 1; // step 3, with the seed of its checksum
  sw[(sOffset >>> 2) + BITMAP] ^= bucketSeed(sFile, sOffset, d) ^ bucketSeed(sFile, sOffset, d - 1);
  s.pages.persistRange(sFile, sOffset, BUCKET_SIZE);
  s.meta.endLog(); // step 4
  return s.pages.bucketId(eFile, eOffset);
}

/**
 * Before the step "point the entries whose low `depth` bits are `pattern` at a bucket": takes
 * the shared hold of their catalog sections, with this thread's catalog mapped at the depth
 * current then (no doubling or halving can run while a section is held). It may give up waiting
 * (PMEHASH_DEADLOCK) or fail to map; either way it throws before any entry changes, and holds
 * nothing.
 */
function holdForRedirect(s: StoreState, depth: number, pattern: number): void {
  const ctl = s.ctl;
  if (!ctl.threaded) return;
  ctl.beginRedirect(depth, pattern);
  try {
    s.globalDepth = ctl.heldGlobalDepth;
    s.catalog.ensureCapacity(pow2(s.globalDepth));
  } catch (err) {
    ctl.endRedirect(depth, pattern);
    throw err;
  }
}

/** The step "point entries at a bucket" under the hold holdForRedirect took, which it gives back. */
function redirectHeld(s: StoreState, depth: number, pattern: number, fileId: number, offset: number): void {
  try {
    s.catalog.redirect(pow2(s.globalDepth), depth, pattern, fileId, offset);
  } finally {
    s.ctl.endRedirect(depth, pattern);
  }
}

/**
 * FORMAT.md, catalog halving, for each level while no bucket has depth G; returns the number of
 * levels. The file is shrunk (steps 1 and 3) only while the store is not shared: another thread
 * may map the part that would go (close() shrinks it).
 */
export function halveUnusedLevels(s: StoreState): number {
  const ctl = s.ctl;
  if (ctl.threaded && (ctl.globalDepth === 0 || s.bucketsAtDepth[ctl.globalDepth] !== 0)) return 0;
  let levels = 0;
  lockStructureInSync(s);
  try {
    for (; s.globalDepth > 0 && s.bucketsAtDepth[s.globalDepth] === 0; levels++) {
      ctl.beginCatalogChange();
      try {
        if (!ctl.threaded) shrinkCatalog(s, pow2(s.globalDepth));
        s.meta.commit(s.maxFileId, s.globalDepth - 1);
        s.globalDepth--;
        ctl.globalDepth = s.globalDepth;
      } finally {
        ctl.endCatalogChange();
      }
      if (!ctl.threaded) shrinkCatalog(s, pow2(s.globalDepth));
    }
  } finally {
    ctl.unlockStructure();
  }
  return levels;
}

/**
 * FORMAT.md, catalog doubling: steps 1-2, under the structure lock. The file grows before the
 * other threads are held off the catalog (at large depths that takes milliseconds, and nothing
 * another thread reads changes); the copy and the commit are made under the catalog's exclusive
 * hold.
 */
function doubleCatalog(s: StoreState): void {
  if (s.globalDepth >= MAX_GLOBAL_DEPTH) {
    throw new PmEHashError(
      'PMEHASH_FULL',
      `catalog at its maximum depth ${MAX_GLOBAL_DEPTH}: a bucket cannot split further`,
    );
  }
  const size = pow2(s.globalDepth);
  try {
    s.catalog.growForDoubling(size);
  } catch (err) {
    throw ioError(`cannot grow ${CATALOG_FILE} in ${s.dir}`, err);
  }
  s.ctl.beginCatalogChange();
  try {
    s.catalog.copyForDoubling(size);
    s.meta.commit(s.maxFileId, s.globalDepth + 1);
    s.globalDepth++;
    s.ctl.globalDepth = s.globalDepth;
  } finally {
    s.ctl.endCatalogChange();
  }
}

/** Shrinks the catalog file to `entries` when it is larger. */
export function shrinkCatalog(s: StoreState, entries: number): void {
  try {
    s.catalog.shrinkTo(entries);
  } catch {
    // A larger file is harmless until the next halving, whose step 1 tries again; recovery
    // accepts a catalog of 2^(G+1) entries and trims it.
  }
}
